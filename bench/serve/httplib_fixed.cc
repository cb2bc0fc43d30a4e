// Prototype for choosing the HTTP library (docs/DECISIONS.md, "Serving"): cpp-httplib 0.11
// (Debian libcpp-httplib-dev) answering every GET and POST with a fixed small JSON body.
// Usage: httplib_fixed PORT [THREADS]. Measured by bench/serve/http_library_compare.sh.
#include <httplib.h>

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: httplib_fixed PORT [THREADS]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  // httplib serves one connection per pool thread for as long as it is kept alive, so the
  // pool needs a thread per wrk connection (64), or connections wait for a free thread.
  const size_t threads = argc > 2 ? static_cast<size_t>(std::atoi(argv[2])) : 64;
  static const std::string kBody = R"({"predictions":[0.5],"model_version":"1"})";
  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_max_count(1000000);  // Debian's build closes after 5 requests
  server.set_tcp_nodelay(true);
  auto handler = [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kBody, "application/json");
  };
  server.Get(R"(/.*)", handler);
  server.Post(R"(/.*)", handler);
  if (!server.listen("127.0.0.1", port)) {
    std::cerr << "httplib_fixed: cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  return 0;
}
