// The HTTP server's own rules, seen on a raw socket: the response head (status line, the
// request id and version headers, Content-Length, the Connection rules of HTTP/1.0 and
// 1.1), generated request ids, and closing a connection left idle or cut short.
#include "serve/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "serve_fixture.h"

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A blocking TCP connection to 127.0.0.1:port.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }

  // A server that closed the connection fails the test instead of killing it with SIGPIPE.
  void Send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Sends what it can, until the server stops taking it; true when all of it went.
  bool TrySend(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Each byte in a segment of its own, `pause` apart.
  void SendByteByByte(const std::string& bytes, std::chrono::microseconds pause) {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (char c : bytes) {
      ASSERT_EQ(::send(fd_, &c, 1, 0), 1);
      std::this_thread::sleep_for(pause);
    }
  }
  // Reads and counts bytes until the server ends the connection (end of stream or reset);
  // stops counting after `wait`.
  size_t ReadUntilClosed(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::vector<char> chunk(1 << 20);
    size_t total = buffer_.size();
    buffer_.clear();
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (n <= 0) break;
      total += static_cast<size_t>(n);
    }
    return total;
  }
  // No more requests: the server sees the end of the stream, and may still answer.
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // One response: its head up to the blank line, then Content-Length bytes of body.
  std::string ReadResponse() {
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (!ReadMore(std::chrono::seconds(5))) return buffer_;
    }
    const size_t head_end = buffer_.find("\r\n\r\n") + 4;
    const size_t length_at = buffer_.find("Content-Length: ");
    size_t length = 0;
    if (length_at != std::string::npos && length_at < head_end) {
      length = std::stoul(buffer_.substr(length_at + 16));
    }
    while (buffer_.size() < head_end + length) {
      if (!ReadMore(std::chrono::seconds(5))) break;
    }
    std::string response = buffer_.substr(0, head_end + length);
    buffer_.erase(0, response.size());
    return response;
  }

  // True when the server closes the connection within `wait` (a read returns 0).
  bool ClosedWithin(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char byte;
      const ssize_t n = ::recv(fd_, &byte, 1, 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  bool ReadMore(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string buffer_;
};

const std::string kRow = R"({"instances": [[0.5, 1, 2]]})";

std::string Post(const std::string& version, const std::string& extra_headers) {
  return "POST /v1/models/toy:predict " + version + "\r\nHost: x\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(kRow.size()) + "\r\n\r\n" + kRow;
}

// The value of header `name` in a response head, or "".
std::string HeaderValue(const std::string& response, const std::string& name) {
  const size_t at = response.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 4;
  return response.substr(from, response.find("\r\n", from) - from);
}

// The body of a response read by RawConnection::ReadResponse().
std::string BodyOf(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

// `n` bytes of a pattern that shows any byte lost, repeated or moved.
std::string Pattern(size_t n) {
  std::string bytes(n, ' ');
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
  return bytes;
}

// A server whose handler answers GET /big/N with Pattern(N) and anything else with its
// method, target and body: "POST /echo?3\n<body>".
std::unique_ptr<HttpServer> EchoServer(HttpServer::Options options = {}) {
  auto server = HttpServer::Start(options, [](const HttpRequest& request, HttpResponse* response) {
    response->content_type = "text/plain";
    if (request.target.substr(0, 5) == "/big/") {
      response->body = Pattern(std::stoul(std::string(request.target.substr(5))));
      return;
    }
    response->body.assign(request.method);
    response->body += ' ';
    response->body += request.target;
    response->body += '\n';
    response->body += request.body;
  });
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(*server) : nullptr;
}

std::string EchoPost(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Serving goes on: a new connection to an EchoServer gets the echo of `body`.
void ExpectANewConnectionServed(uint16_t port, const std::string& body) {
  RawConnection next(port);
  ASSERT_TRUE(next.connected());
  next.Send(EchoPost("/echo", body));
  EXPECT_EQ(BodyOf(next.ReadResponse()), "POST /echo\n" + body);
}

TEST(HttpServerTest, TheResponseHeadFollowsHttp11AndKeepsTheConnection) {
  testing::ServerFixture fixture;
  RawConnection connection(fixture.server().port());
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 3; ++i) {  // one connection, three requests
    connection.Send(Post("HTTP/1.1", "X-Request-Id: mine-" + std::to_string(i) + "\r\n"));
    const std::string response = connection.ReadResponse();
    EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
    EXPECT_THAT(response, HasSubstr("\r\nServer: mlloop\r\n"));
    EXPECT_THAT(response, HasSubstr("\r\nContent-Type: application/json\r\n"));
    EXPECT_THAT(response, HasSubstr("\r\nX-Request-Id: mine-" + std::to_string(i) + "\r\n"));
    EXPECT_THAT(response, HasSubstr("\r\nX-Model-Version: 1\r\n"));
    EXPECT_THAT(response, Not(HasSubstr("Connection:")));
    const size_t body_at = response.find("\r\n\r\n") + 4;
    EXPECT_THAT(response, HasSubstr("Content-Length: " + std::to_string(response.size() - body_at) + "\r\n"));
    EXPECT_THAT(response.substr(body_at), StartsWith("{\"predictions\":["));
  }
  // An error has the same head, with its status's reason.
  connection.Send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string missing = connection.ReadResponse();
  EXPECT_THAT(missing, StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(missing, HasSubstr("no route for GET /nowhere"));
  // Connection: close is answered with Connection: close, and the server closes.
  connection.Send(Post("HTTP/1.1", "Connection: close\r\n"));
  EXPECT_THAT(connection.ReadResponse(), HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_TRUE(connection.ClosedWithin(std::chrono::seconds(2)));
}

TEST(HttpServerTest, Http10KeepsTheConnectionOnlyWhenAsked) {
  testing::ServerFixture fixture;
  RawConnection kept(fixture.server().port());
  ASSERT_TRUE(kept.connected());
  kept.Send(Post("HTTP/1.0", "Connection: keep-alive\r\n"));
  const std::string response = kept.ReadResponse();
  EXPECT_THAT(response, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nConnection: keep-alive\r\n"));
  kept.Send(Post("HTTP/1.0", "Connection: keep-alive\r\n"));
  EXPECT_THAT(kept.ReadResponse(), StartsWith("HTTP/1.0 200 OK\r\n"));

  RawConnection once(fixture.server().port());
  ASSERT_TRUE(once.connected());
  once.Send(Post("HTTP/1.0", ""));
  const std::string single = once.ReadResponse();
  EXPECT_THAT(single, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(single, Not(HasSubstr("Connection:")));
  EXPECT_TRUE(once.ClosedWithin(std::chrono::seconds(2)));
}

TEST(HttpServerTest, AConnectionLeftIdleOrCutShortIsClosedAfterTheIdleTimeout) {
  HttpServer::Options options;
  options.idle_timeout = std::chrono::milliseconds(300);
  testing::ServerFixture fixture(options);
  RawConnection idle(fixture.server().port());
  RawConnection partial(fixture.server().port());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(partial.connected());
  partial.Send("POST /v1/models/toy:predict HTTP/1.1\r\nHost: x\r\nContent-Le");  // then silence
  EXPECT_TRUE(idle.ClosedWithin(std::chrono::seconds(3)));
  EXPECT_TRUE(partial.ClosedWithin(std::chrono::seconds(3)));
  // Serving goes on.
  RawConnection next(fixture.server().port());
  ASSERT_TRUE(next.connected());
  next.Send(Post("HTTP/1.1", ""));
  EXPECT_THAT(next.ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));
}


TEST(HttpServerTest, AConnectionReusesItsBuffersWithoutMixingRequests) {
  // A connection keeps its request arena, response strings and small bodies from one request
  // to the next. Requests of every size in turn, larger than the arena (4 KiB) and smaller,
  // with and without ids, must each get exactly their own answer.
  testing::ServerFixture fixture;
  RawConnection connection(fixture.server().port());
  ASSERT_TRUE(connection.connected());
  auto post = [&](int rows, const std::string& headers) {
    std::string body = R"({"instances": [)";
    for (int r = 0; r < rows; ++r) body += (r ? "," : "") + std::string("[0.5, 1, 2]");
    body += "]}";
    connection.Send("POST /v1/models/toy:predict HTTP/1.1\r\nHost: x\r\n" + headers +
                    "Content-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
    return connection.ReadResponse();
  };
  const std::string one = BodyOf(post(1, "X-Request-Id: a\r\n"));
  const std::string long_id(100, 'q');
  for (int round = 0; round < 3; ++round) {
    const std::string big = post(2000, "X-Request-Id: " + long_id + "\r\n");  // a 28 KB body
    ASSERT_THAT(big, StartsWith("HTTP/1.1 200 OK\r\n"));
    EXPECT_EQ(HeaderValue(big, "X-Request-Id"), long_id);
    EXPECT_EQ(std::stoul(HeaderValue(big, "Content-Length")), BodyOf(big).size());
    const std::string big_body = BodyOf(big);
    EXPECT_EQ(std::count(big_body.begin(), big_body.end(), ','), 2000 - 1 + 3);

    const std::string small = post(1, "");
    ASSERT_THAT(small, StartsWith("HTTP/1.1 200 OK\r\n"));
    const std::string id = HeaderValue(small, "X-Request-Id");
    EXPECT_NE(id, long_id);
    EXPECT_NE(id, "a");
    // The same answer as the first request's, under its own id.
    std::string expected = one;
    expected.replace(expected.find("\"request_id\":\"a\""), 16, "\"request_id\":\"" + id + "\"");
    EXPECT_EQ(BodyOf(small), expected);

    const std::string named = post(1, "X-Request-Id: a\r\n");
    EXPECT_EQ(BodyOf(named), one);
    const std::string health = [&] {
      connection.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      return connection.ReadResponse();
    }();
    EXPECT_EQ(BodyOf(health), "{\"live\":true}");
    EXPECT_THAT(health, Not(HasSubstr("X-Model-Version"))) << "left from the prediction before";
    connection.Send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_THAT(connection.ReadResponse(), StartsWith("HTTP/1.1 404 "));
    EXPECT_THAT(post(1, ""), StartsWith("HTTP/1.1 200 OK\r\n"));
  }
}

TEST(HttpServerTest, GeneratedRequestIdsAreUniqueAcrossThreadsAndConnections) {
  // Each server thread numbers ids from blocks of its own; eight connections spread over
  // both threads, sending at once, must still never see an id twice.
  HttpServer::Options options;
  options.threads = 2;
  testing::ServerFixture fixture(options);
  constexpr int kConnections = 8, kRequests = 300;
  std::vector<std::vector<std::string>> ids(kConnections);
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&, c] {
      RawConnection connection(fixture.server().port());
      if (!connection.connected()) return;
      for (int r = 0; r < kRequests; ++r) {
        connection.Send(Post("HTTP/1.1", ""));
        ids[c].push_back(HeaderValue(connection.ReadResponse(), "X-Request-Id"));
      }
    });
  }
  for (auto& t : clients) t.join();
  std::set<std::string> seen;
  std::set<std::string> prefixes;
  for (const auto& of_connection : ids) {
    ASSERT_EQ(of_connection.size(), static_cast<size_t>(kRequests));
    for (const std::string& id : of_connection) {
      ASSERT_FALSE(id.empty());
      EXPECT_TRUE(seen.insert(id).second) << "id " << id << " given twice";
      prefixes.insert(id.substr(0, id.find('-')));
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kConnections * kRequests));
  EXPECT_EQ(prefixes.size(), 1u) << "one server, one prefix";

  // Another server's ids never repeat this one's.
  testing::ServerFixture other(options);
  RawConnection connection(other.server().port());
  ASSERT_TRUE(connection.connected());
  connection.Send(Post("HTTP/1.1", ""));
  const std::string id = HeaderValue(connection.ReadResponse(), "X-Request-Id");
  EXPECT_FALSE(seen.count(id)) << id;
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInTheirOrder) {
  // Twenty requests in one send, some with bodies: the server parses them out of one buffer
  // and must answer each once, in order, on the one connection.
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  RawConnection connection(server->port());
  ASSERT_TRUE(connection.connected());
  std::string all;
  for (int i = 0; i < 20; ++i) {
    all += i % 2 ? EchoPost("/echo?" + std::to_string(i), Pattern(static_cast<size_t>(i * 50)))
                 : "GET /echo?" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  connection.Send(all);
  for (int i = 0; i < 20; ++i) {
    const std::string response = connection.ReadResponse();
    ASSERT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n")) << i;
    EXPECT_EQ(BodyOf(response), i % 2 ? "POST /echo?" + std::to_string(i) + "\n" +
                                            Pattern(static_cast<size_t>(i * 50))
                                      : "GET /echo?" + std::to_string(i) + "\n");
  }
}

TEST(HttpServerTest, RequestsCutAtRandomPlacesOnManyConnectionsGetTheirOwnAnswers) {
  // Eight connections spread over both loops each send 60 requests (some with bodies past
  // the 4 KiB input buffer, some chunked), pipelined and cut into pieces at random byte
  // boundaries with random pauses; every answer must be its own request's, in order.
  HttpServer::Options options;
  options.threads = 2;
  auto server = EchoServer(options);
  ASSERT_NE(server, nullptr);
  constexpr int kConnections = 8, kRequests = 60;
  std::vector<std::string> problems(kConnections);
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 random(static_cast<uint32_t>(1234 + c));
      RawConnection connection(server->port());
      if (!connection.connected()) {
        problems[c] = "cannot connect";
        return;
      }
      std::string bytes;
      std::vector<std::string> expected;
      for (int i = 0; i < kRequests; ++i) {
        const std::string target = "/echo?" + std::to_string(c) + "-" + std::to_string(i);
        const std::string body = Pattern(random() % 3 == 0 ? random() % 9000 : random() % 40);
        if (i % 7 == 3) {  // chunked, in two chunks
          const size_t half = body.size() / 2;
          auto hex = [](size_t n) {
            char buf[20];
            std::snprintf(buf, sizeof(buf), "%zx", n);
            return std::string(buf);
          };
          bytes += "POST " + target + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
          if (half > 0) bytes += hex(half) + "\r\n" + body.substr(0, half) + "\r\n";
          if (body.size() > half) bytes += hex(body.size() - half) + "\r\n" + body.substr(half) + "\r\n";
          bytes += "0\r\n\r\n";
        } else {
          bytes += EchoPost(target, body);
        }
        expected.push_back("POST " + target + "\n" + body);
      }
      // Send in random pieces while reading answers as they come, so neither side's
      // socket buffer fills up.
      std::thread reader([&] {
        for (int i = 0; i < kRequests; ++i) {
          const std::string response = connection.ReadResponse();
          if (BodyOf(response) != expected[static_cast<size_t>(i)]) {
            problems[c] = "request " + std::to_string(i) + ": got " + response.substr(0, 200);
            return;
          }
        }
      });
      for (size_t at = 0; at < bytes.size();) {
        const size_t piece = std::min<size_t>(bytes.size() - at, 1 + random() % 3000);
        connection.Send(bytes.substr(at, piece));
        at += piece;
        if (random() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(random() % 2000));
      }
      reader.join();
    });
  }
  for (auto& t : clients) t.join();
  for (int c = 0; c < kConnections; ++c) EXPECT_EQ(problems[c], "") << "connection " << c;
}

TEST(HttpServerTest, AChunkLineThatNeverEndsIsRefusedAfter64KiB) {
  // The parser takes a chunk line only whole, and its header limit does not cover one: the
  // server stops buffering at 64 KiB, answers 400 and closes, and serves everyone else.
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  RawConnection endless(server->port());
  ASSERT_TRUE(endless.connected());
  endless.TrySend("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=" +
                  std::string(1 << 20, 'a'));
  const std::string response = endless.ReadResponse();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(BodyOf(response), HasSubstr("malformed HTTP request: 65536 bytes of a head, chunk "
                                          "line or trailer without its end"));
  EXPECT_TRUE(endless.ClosedWithin(std::chrono::seconds(2)));
  ExpectANewConnectionServed(server->port(), "z");
}

TEST(HttpServerTest, ARequestArrivingByteByByteIsReadWhole) {
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  RawConnection connection(server->port());
  ASSERT_TRUE(connection.connected());
  connection.SendByteByByte(EchoPost("/echo", "{\"instances\": [[1, 2]]}"),
                            std::chrono::microseconds(500));
  EXPECT_EQ(BodyOf(connection.ReadResponse()), "POST /echo\n{\"instances\": [[1, 2]]}");
  // And the connection goes on as usual.
  connection.Send(EchoPost("/echo", "x"));
  EXPECT_EQ(BodyOf(connection.ReadResponse()), "POST /echo\nx");
}

TEST(HttpServerTest, AChunkedRequestBodyIsJoined) {
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  RawConnection connection(server->port());
  ASSERT_TRUE(connection.connected());
  connection.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1\r\n \r\n6\r\nchunks\r\n0\r\n\r\n");
  EXPECT_EQ(BodyOf(connection.ReadResponse()), "POST /echo\nhello chunks");
}

TEST(HttpServerTest, LargeBodiesBothWaysReachASlowReaderWhole) {
  // A 3 MB request body takes many reads; its 3 MB echo fills the socket while the client
  // is not reading, so the server must resume writing when the socket has room again.
  HttpServer::Options options;
  options.max_body_bytes = 8 << 20;
  auto server = EchoServer(options);
  ASSERT_NE(server, nullptr);
  RawConnection connection(server->port());
  ASSERT_TRUE(connection.connected());
  const std::string body = Pattern(3 << 20);
  std::thread sender([&] { connection.Send(EchoPost("/echo", body)); });
  sender.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server's writes stall
  const std::string response = connection.ReadResponse();
  ASSERT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(BodyOf(response) == "POST /echo\n" + body) << "the echo differs; "
                                                           << BodyOf(response).size() << " bytes";
  // The connection is ready for the next request, and a large answer to a small one.
  connection.Send("GET /big/5000000 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(BodyOf(connection.ReadResponse()) == Pattern(5000000));
  connection.Send(EchoPost("/echo", "x"));
  EXPECT_EQ(BodyOf(connection.ReadResponse()), "POST /echo\nx");
}

TEST(HttpServerTest, APeerEndingInTheMiddleOfARequestGetsA400AndServingGoesOn) {
  auto server = EchoServer();
  ASSERT_NE(server, nullptr);
  RawConnection cut(server->port());
  ASSERT_TRUE(cut.connected());
  cut.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  cut.ShutdownWrite();
  const std::string response = cut.ReadResponse();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(BodyOf(response), HasSubstr("malformed HTTP request: partial message"));
  EXPECT_TRUE(cut.ClosedWithin(std::chrono::seconds(2)));

  // Ending between requests is a plain goodbye.
  RawConnection done(server->port());
  ASSERT_TRUE(done.connected());
  done.Send(EchoPost("/echo", "x"));
  done.ShutdownWrite();
  EXPECT_EQ(BodyOf(done.ReadResponse()), "POST /echo\nx");
  EXPECT_TRUE(done.ClosedWithin(std::chrono::seconds(2)));

  ExpectANewConnectionServed(server->port(), "y");
}

TEST(HttpServerTest, ShutdownWaitsForAResponseStillBeingWritten) {
  // A 16 MB answer to a client that does not read yet: the drain must wait for it to be
  // written, not cut it.
  HttpServer::Options options;
  options.drain_timeout = std::chrono::milliseconds(10000);
  auto server = EchoServer(options);
  ASSERT_NE(server, nullptr);
  RawConnection connection(server->port());
  ASSERT_TRUE(connection.connected());
  connection.Send("GET /big/16000000 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::atomic<bool> returned{false};
  size_t cut = 99;
  std::thread stopper([&] {
    cut = server->Shutdown();
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(returned.load()) << "Shutdown returned while a response was half written";
  const std::string response = connection.ReadResponse();
  stopper.join();
  EXPECT_EQ(cut, 0u);
  EXPECT_TRUE(BodyOf(response) == Pattern(16000000)) << BodyOf(response).size() << " bytes";
  EXPECT_TRUE(connection.ClosedWithin(std::chrono::seconds(2)));
}

TEST(HttpServerTest, AClientThatStopsReadingIsCutAfterTheWriteTimeout) {
  // A 64 MB answer, far more than the sockets hold, to a client that reads nothing for 1.5 s
  // once the answer is made: the server gives up on it after the write timeout (0.3 s) and
  // serves everyone else.
  constexpr size_t kBig = 64'000'000;
  const std::string big = Pattern(kBig);
  std::atomic<bool> answered{false};
  HttpServer::Options options;
  options.write_timeout = std::chrono::milliseconds(300);
  auto server = HttpServer::Start(options, [&](const HttpRequest& request, HttpResponse* response) {
    response->body = request.target == "/big" ? big : "small";
    if (request.target == "/big") answered = true;
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RawConnection stalled((*server)->port());
  ASSERT_TRUE(stalled.connected());
  stalled.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!answered.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  RawConnection other((*server)->port());
  ASSERT_TRUE(other.connected());
  other.Send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(BodyOf(other.ReadResponse()), "small");
  // What the sockets held arrives, then the end: never the whole answer.
  const size_t received = stalled.ReadUntilClosed(std::chrono::seconds(10));
  EXPECT_GT(received, 0u);
  EXPECT_LT(received, kBig);
  EXPECT_EQ((*server)->Shutdown(), 0u) << "the stalled connection was still open";
}

TEST(HttpServerTest, StartNamesWhatIsWrongWithTheAddress) {
  HttpServer::Options options;
  options.host = "localhost";
  auto named = HttpServer::Start(options, [](const HttpRequest&, HttpResponse*) {});
  ASSERT_FALSE(named.ok());
  EXPECT_THAT(named.status().ToString(), HasSubstr("server host: not an IP address: localhost"));

  auto first = EchoServer();
  ASSERT_NE(first, nullptr);
  options.host = "127.0.0.1";
  options.port = first->port();
  auto taken = HttpServer::Start(options, [](const HttpRequest&, HttpResponse*) {});
  ASSERT_FALSE(taken.ok());
  EXPECT_THAT(taken.status().ToString(),
              HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(first->port()) +
                        ": Address already in use"));
}

TEST(HttpServerTest, ServesOnIpv6Loopback) {
  const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 loopback{};
  loopback.sin6_family = AF_INET6;
  loopback.sin6_addr = in6addr_loopback;
  const bool has_ipv6 =
      probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&loopback), sizeof(loopback)) == 0;
  if (probe >= 0) ::close(probe);
  if (!has_ipv6) GTEST_SKIP() << "this machine has no IPv6 loopback";
  HttpServer::Options options;
  options.host = "::1";
  auto server = EchoServer(options);
  ASSERT_NE(server, nullptr);
  httplib::Client client("::1", server->port());
  auto res = client.Post("/echo", "six", "text/plain");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->body, "POST /echo\nsix");
}

}  // namespace
}  // namespace mlloop::serve
