// HttpServer: the HTTP/1.1 front of `mlloop serve`: Boost.Beast's request parser on an epoll
// loop of our own, one per thread (Beast over Asio before that; why both, by measurement:
// docs/DECISIONS.md, "Serving"). It knows nothing of models: it reads a request, gives it to
// a Handler, writes the Handler's response, and keeps connections alive (pipelined requests
// are answered in order). Handlers run on the server's threads and must not block for long:
// a prediction (microseconds) is fine, a registry query is not.
//
// What the server does itself, so that every handler gets it for free:
//  - request ids: a client's X-Request-Id (up to 128 printable characters) or a generated
//    one ("<16 hex digits of process salt>-<counter>"; unique, but numbered in blocks per
//    thread, not in arrival order), echoed as the X-Request-Id header;
//  - oversized bodies (more than Options::max_body_bytes) and unreadable HTTP: a 413 or 400
//    JSON error, then the connection is closed; the server keeps serving everyone else. A
//    connection holds at most 64 KiB it has not parsed (a head is limited to 16 KiB; an
//    endless chunk line gets a 400 instead of the server's memory);
//  - graceful shutdown: Shutdown() stops accepting, closes idle keep-alive connections, lets
//    every request already read finish and be written (its response says Connection: close),
//    then stops the threads.
//
// Thread-safety: Start/Shutdown from one controlling thread; the Handler is called from
// Options::threads threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mlloop::serve {

struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // path and query, e.g. "/v1/models/elec2:predict"
  std::string_view body;
  std::string_view request_id;  // never empty
  bool request_id_generated = false;  // true when the client sent no usable X-Request-Id

  // The value of header `name` (case-insensitive); empty when the request has none. Valid
  // while the request is. A request made without a server (tests) has no headers.
  std::string_view Header(std::string_view name) const {
    return header_lookup != nullptr ? header_lookup(header_source, name) : std::string_view();
  }
  // Set by the server: how Header() reaches the parsed request, without copying headers.
  std::string_view (*header_lookup)(const void* source, std::string_view name) = nullptr;
  const void* header_source = nullptr;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When non-empty, sent as X-Model-Version (the version that answered). A handler may also
  // replace request_id (e.g. by the "id" of an Open Inference Protocol request).
  std::string model_version;
  std::string request_id;  // preset to HttpRequest::request_id

  // For reuse by the next request: the defaults again, with `request_id`, keeping the
  // strings' capacity.
  void Reset(std::string_view id) {
    status = 200;
    content_type.assign("application/json");
    body.clear();
    model_version.clear();
    request_id.assign(id);
  }
};

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: any free port (see port())
    int threads = 2;    // threads running the event loop; REQUIRES: >= 1
    size_t max_body_bytes = 1 << 20;
    std::chrono::milliseconds idle_timeout{60000};  // a keep-alive connection left silent
    // A response the client stops reading: the connection is closed once the socket has
    // taken none of it for this long (a slow reader that keeps reading is not cut).
    std::chrono::milliseconds write_timeout{30000};
    std::chrono::milliseconds drain_timeout{10000};  // Shutdown() waits this long at most
  };
  using Handler = std::function<void(const HttpRequest&, HttpResponse*)>;

  // Binds, listens and starts the threads. Unavailable naming the address when it cannot
  // bind; InvalidArgument for threads < 1 or a host that is not an IP address.
  static Result<std::unique_ptr<HttpServer>> Start(const Options& options, Handler handler);

  // Shutdown(), then frees everything.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually bound.
  uint16_t port() const;

  // Drains and stops (see the file comment). Returns the number of connections that were
  // still busy when drain_timeout ran out and were cut (0 after a clean drain). Idempotent;
  // later calls return 0.
  size_t Shutdown();

  // True once Shutdown() has begun.
  bool draining() const;

  struct Impl;  // opaque: defined in http_server.cc, with the event loops

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlloop::serve
