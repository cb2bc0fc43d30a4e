#include "serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

// Only Beast's HTTP parser is used, fed from our own buffer: no Asio I/O object is made.
#include <boost/beast/http.hpp>

#include "serve/json_value.h"

namespace mlloop::serve {

namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

namespace {

// A request's header fields and body are allocated from its connection's arena, released
// before the next request is read: no heap allocation per field or body (Beast's default
// allocator made one for each), unless the request outgrows the arena's inline block.
using ArenaAllocator = std::pmr::polymorphic_allocator<char>;
using RequestBody = http::basic_string_body<char, std::char_traits<char>, ArenaAllocator>;
using RequestParser = http::request_parser<RequestBody, ArenaAllocator>;
constexpr size_t kArenaBytes = 4096;  // an Elec2 request's fields and body take about 300

constexpr size_t kMaxRequestIdLength = 128;
constexpr size_t kHeaderLimit = 16 * 1024;
// Response bodies up to this size leave their buffer to the connection's next response.
constexpr size_t kKeptBodyBytes = 16 * 1024;
// Received bytes not yet parsed: the buffer starts at this size and doubles when a request's
// head does not fit (the parser's header limit bounds it; a body is consumed as it comes).
constexpr size_t kInitialInputBytes = 4096;
constexpr size_t kMinReadBytes = 1024;  // a read offers at least this much room
// Bytes received that the parser has not taken yet, at most: its header limit bounds a
// request's head, but not a chunk line or a trailer, which it also takes only whole.
constexpr size_t kMaxUnparsedBytes = 64 * 1024;
// When accept() fails for want of descriptors or memory, the listener rests this long
// rather than spin on a socket that stays readable.
constexpr std::chrono::milliseconds kAcceptPause{100};

// epoll_event.data.u64 of the two descriptors that are not connections (a Connection* is
// never 0 or 1).
constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kListenerTag = 1;

bool UsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string ErrorJson(std::string_view message, std::string_view request_id) {
  std::string body = "{\"error\":";
  AppendJsonString(message, &body);
  body += ",\"request_id\":";
  AppendJsonString(request_id, &body);
  body += "}";
  return body;
}

std::string Errno(int error) { return std::strerror(error); }

}  // namespace

class Connection;

// One event loop, run by its own thread: it owns its connections outright, so nothing on a
// request's path is locked or shared with the other loops.
struct Loop {
  HttpServer::Impl* server = nullptr;
  int epoll_fd = -1;
  int wake_fd = -1;  // an eventfd: new connections, draining, stopping
  int listen_fd = -1;  // the first loop's only; -1 once closed
  std::thread thread;
  Clock::time_point now = Clock::now();  // read after each epoll_wait
  std::vector<std::unique_ptr<Connection>> connections;  // Connection::slot_ indexes it
  // Closed during an event batch, freed after it: a later event of the same batch may
  // still name one.
  std::vector<std::unique_ptr<Connection>> closed;
  bool accept_paused = false;
  Clock::time_point accept_resumes;
  size_t next_loop = 0;  // the listener's round robin (first loop only)

  std::mutex inbox_mu;
  std::vector<int> inbox;  // accepted sockets handed over by the first loop; guarded
  std::atomic<bool> stop{false};

  ~Loop() {
    for (int fd : inbox) ::close(fd);  // handed over as the loops stopped
    if (listen_fd >= 0) ::close(listen_fd);
    if (wake_fd >= 0) ::close(wake_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
  }

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof(one));
  }
  void Hand(int fd) {
    {
      std::lock_guard lock(inbox_mu);
      inbox.push_back(fd);
    }
    Wake();
  }

  void Run();
  void Adopt(int fd);
  void Accept();
  void OnWake();
  void Sweep();
  void Remove(Connection* connection);
  // Closes every connection for which `close(connection)` is true.
  template <typename Predicate>
  void CloseIf(Predicate close);
  // The events the listener is watched for: EPOLLIN, or none while accepting rests.
  void WatchListener(uint32_t events);
};

struct HttpServer::Impl {
  Options options;
  Handler handler;
  std::atomic<bool> draining{false};
  bool shut_down = false;  // Shutdown() has completed; controlling thread only

  std::mutex mu;
  std::condition_variable connections_gone;
  size_t connections = 0;  // alive, on every loop; guarded by mu

  // Request ids: a per-server random prefix and a counter, unique and cheap. Each thread
  // takes the counter's values kIdBlock at a time, so that the counter's cache line does not
  // move between the request threads' cores on every request.
  static constexpr uint64_t kIdBlock = 1024;
  static inline std::atomic<uint64_t> servers_started{0};
  const uint64_t server_number = servers_started.fetch_add(1) + 1;  // never 0, never reused
  std::string id_prefix;
  std::atomic<uint64_t> next_id{1};

  uint16_t port = 0;
  // One loop per thread; a connection lives on one of them. One loop run by two threads
  // served 30% fewer requests on 2 cores (docs/BENCHMARKS.md). The listener is the first
  // loop's, which deals new connections round the loops.
  std::vector<std::unique_ptr<Loop>> loops;

  // Writes a new id into `id` (whose capacity is reused).
  void NewRequestId(std::string* id) {
    struct IdBlock {
      uint64_t server = 0;  // server_number of the server the block came from
      uint64_t next = 0, end = 0;
    };
    thread_local IdBlock block;
    if (block.server != server_number || block.next == block.end) {
      block.server = server_number;
      block.next = next_id.fetch_add(kIdBlock, std::memory_order_relaxed);
      block.end = block.next + kIdBlock;
    }
    const uint64_t n = block.next++;
    char buf[24];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), n);
    id->assign(id_prefix);
    id->append(buf, ptr);
  }

  void ConnectionOpened() {
    std::lock_guard lock(mu);
    ++connections;
  }
  void ConnectionClosed() {
    std::lock_guard lock(mu);
    if (--connections == 0) connections_gone.notify_all();
  }
};

// One connection: read a request, call the handler, write the response, repeat while the
// client keeps the connection alive. Only its loop's thread touches it. Registered with
// edge-triggered epoll for reading and writing once; readable_/writable_ remember whether
// the socket may have more to give or room to take since the last edge.
class Connection {
 public:
  Connection(int fd, Loop* loop, size_t slot) : fd_(fd), loop_(loop), slot_(slot) {
    StartRequest();
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  size_t& slot() { return slot_; }
  bool writing() const { return writing_; }
  Clock::time_point deadline() const { return deadline_; }

  void OnEvent(uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
    if (events & (EPOLLRDHUP | EPOLLHUP)) peer_closed_ = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable_ = true;
    Drive();
  }

  // Shuts the socket and leaves the loop; the object lives until the loop's batch ends.
  void Close() {
    if (fd_ < 0) return;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
    loop_->Remove(this);
  }

  // The whole cycle, for as long as there is something to do without waiting: write what is
  // pending, answer every whole request received, read what the socket has.
  void Drive() {
    HttpServer::Impl& server = *loop_->server;
    while (fd_ >= 0) {
      if (writing_) {
        if (!writable_ || !Flush()) return;
        if (!keep_alive_ || server.draining.load(std::memory_order_relaxed)) return Close();
        StartRequest();
      }
      if (in_begin_ < in_end_) {
        beast::error_code ec;
        const size_t used =
            parser_->put(boost::asio::const_buffer(in_.data() + in_begin_, in_end_ - in_begin_), ec);
        in_begin_ += used;
        if (ec && ec != http::error::need_more) {
          RespondToUnreadable(ec);
          continue;
        }
        if (parser_->is_done()) {
          HandleRequest();
          continue;
        }
        if (used > 0 && in_begin_ < in_end_) continue;
      }
      if (!readable_) return;
      Read();
    }
  }

 private:
  void StartRequest() {
    parser_.reset();  // its memory is the arena's: gone before the arena is released
    arena_.release();
    const ArenaAllocator allocator(&arena_);
    parser_.emplace(std::piecewise_construct, std::make_tuple(allocator),
                    std::make_tuple(allocator));
    parser_->eager(true);
    parser_->body_limit(loop_->server->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    deadline_ = loop_->now + loop_->server->options.idle_timeout;
  }

  // One recv() into the free end of in_. A short read means the socket had no more: the next
  // edge will say when it has (unless the peer has closed, which no further edge reports).
  void Read() {
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    if (in_end_ - in_begin_ >= kMaxUnparsedBytes) {
      return RespondToUnreadable(
          400, "malformed HTTP request: " + std::to_string(kMaxUnparsedBytes) +
                   " bytes of a head, chunk line or trailer without its end");
    }
    if (in_.size() - in_end_ < kMinReadBytes) {
      if (in_begin_ > 0) {
        std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
        in_end_ -= in_begin_;
        in_begin_ = 0;
      }
      if (in_.size() - in_end_ < kMinReadBytes) in_.resize(std::max(2 * in_.size(), kInitialInputBytes));
    }
    const size_t room = in_.size() - in_end_;
    const ssize_t n = ::recv(fd_, in_.data() + in_end_, room, 0);
    if (n > 0) {
      in_end_ += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < room && !peer_closed_) readable_ = false;
      return;
    }
    if (n < 0 && errno == EINTR) return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      readable_ = false;
      return;
    }
    if (n == 0 && (parser_->got_some() || in_begin_ < in_end_)) {
      // The peer ended in the middle of a request: answer it once (its write side may still
      // be open), then close.
      beast::error_code ec;
      parser_->put_eof(ec);
      if (!ec) ec = http::error::partial_message;
      in_begin_ = in_end_ = 0;
      return RespondToUnreadable(ec);
    }
    Close();  // end of stream between requests, or a reset
  }

  // The request cannot be read to its end: answer once, then close the connection.
  void RespondToUnreadable(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return RespondToUnreadable(413, "request body: larger than the limit of " +
                                          std::to_string(loop_->server->options.max_body_bytes) +
                                          " bytes");
    }
    RespondToUnreadable(400, "malformed HTTP request: " + ec.message());
  }
  void RespondToUnreadable(int status, const std::string& message) {
    loop_->server->NewRequestId(&generated_id_);
    readable_ = false;  // nothing more is read from a connection about to close
    Respond(status, ErrorJson(message, generated_id_), generated_id_, "", /*keep_alive=*/false, 11);
  }

  void HandleRequest() {
    HttpServer::Impl& server = *loop_->server;
    const auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string_view(req.method_string().data(), req.method_string().size());
    request.target = std::string_view(req.target().data(), req.target().size());
    request.body = req.body();
    request.header_source = &req;
    request.header_lookup = [](const void* source, std::string_view name) -> std::string_view {
      const auto& r = *static_cast<const std::remove_reference_t<decltype(req)>*>(source);
      auto it = r.find(beast::string_view(name.data(), name.size()));
      if (it == r.end()) return {};
      return {it->value().data(), it->value().size()};
    };
    auto header = req.find("X-Request-Id");
    std::string_view client_id;
    if (header != req.end()) client_id = {header->value().data(), header->value().size()};
    if (UsableRequestId(client_id)) {
      request.request_id = client_id;
    } else {
      server.NewRequestId(&generated_id_);
      request.request_id = generated_id_;
      request.request_id_generated = true;
    }
    HttpResponse& response = response_;
    response.Reset(request.request_id);
    try {
      server.handler(request, &response);
    } catch (const std::exception& e) {
      response.status = 500;
      response.content_type = "application/json";
      response.body = ErrorJson(std::string("internal error: ") + e.what(), response.request_id);
    }
    Respond(response.status, std::move(response.body), response.request_id,
            response.model_version, req.keep_alive() && !server.draining.load(), req.version(),
            response.content_type);
  }

  // Writes the response head into head_ and leaves it and the body for Flush(), which sends
  // both with one sendmsg. Beast's serializer wrote this head, in this order.
  void Respond(int status, std::string body, const std::string& request_id,
               const std::string& model_version, bool keep_alive, unsigned version,
               std::string_view content_type = "application/json") {
    const auto code = static_cast<http::status>(status);
    const bool bodiless = (status >= 100 && status < 200) || status == 204 || status == 304;
    head_.clear();
    head_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    char number[24];
    auto [end, ec] = std::to_chars(number, number + sizeof(number), status);
    head_.append(number, end);
    head_ += ' ';
    const beast::string_view reason = http::obsolete_reason(code);
    head_.append(reason.data(), reason.size());
    head_ += "\r\nServer: mlloop\r\nContent-Type: ";
    head_ += content_type;
    head_ += "\r\nX-Request-Id: ";
    head_ += request_id;
    if (!model_version.empty()) {
      head_ += "\r\nX-Model-Version: ";
      head_ += model_version;
    }
    if (version == 10 && keep_alive) head_ += "\r\nConnection: keep-alive";
    if (version != 10 && !keep_alive) head_ += "\r\nConnection: close";
    if (!bodiless) {
      head_ += "\r\nContent-Length: ";
      end = std::to_chars(number, number + sizeof(number), body.size()).ptr;
      head_.append(number, end);
    }
    head_ += "\r\n\r\n";
    // The body is moved, not copied into the head: a large batch's answer is not kept by
    // the connection after it is sent.
    body_ = bodiless ? std::string() : std::move(body);
    keep_alive_ = keep_alive;
    writing_ = true;
    written_ = 0;
  }

  // Sends what is left of head_ and body_. True when all is sent; false when the socket is
  // full (the next EPOLLOUT edge resumes) or the connection was closed on an error.
  bool Flush() {
    const size_t total = head_.size() + body_.size();
    while (written_ < total) {
      iovec parts[2];
      int count = 0;
      if (written_ < head_.size()) {
        parts[count++] = {head_.data() + written_, head_.size() - written_};
        if (!body_.empty()) parts[count++] = {body_.data(), body_.size()};
      } else {
        const size_t at = written_ - head_.size();
        parts[count++] = {body_.data() + at, body_.size() - at};
      }
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = static_cast<size_t>(count);
      const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
      if (n >= 0) {
        written_ += static_cast<size_t>(n);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        writable_ = false;
        deadline_ = loop_->now + loop_->server->options.write_timeout;
        return false;
      } else if (errno != EINTR) {
        Close();
        return false;
      }
    }
    writing_ = false;
    // A small body's buffer serves the next response; a large batch's answer is not kept by
    // the connection.
    if (body_.capacity() <= kKeptBodyBytes) response_.body.swap(body_);
    body_ = std::string();
    return true;
  }

  int fd_;
  Loop* loop_;
  size_t slot_;  // index in loop_->connections
  Clock::time_point deadline_;  // for the request being read, or the response being written
  bool readable_ = true;
  bool writable_ = true;
  bool peer_closed_ = false;
  bool writing_ = false;  // a response is waiting in head_/body_ to be (fully) sent
  bool keep_alive_ = false;

  std::vector<char> in_ = std::vector<char>(kInitialInputBytes);
  size_t in_begin_ = 0, in_end_ = 0;  // received, not yet parsed: in_[in_begin_, in_end_)
  alignas(std::max_align_t) std::array<std::byte, kArenaBytes> arena_bytes_;
  std::pmr::monotonic_buffer_resource arena_{arena_bytes_.data(), arena_bytes_.size()};
  std::optional<RequestParser> parser_;  // after arena_, so that it is destroyed first
  std::string head_;  // the response being written: its head (reused) and body
  std::string body_;
  size_t written_ = 0;  // of head_ then body_
  // Kept from request to request so that, once a connection has served one, a request
  // allocates nothing for them: the handler's response (reset, the strings' capacity kept)
  // and the generated request id.
  HttpResponse response_;
  std::string generated_id_;
};

void Loop::Adopt(int fd) {
  if (server->draining.load()) {
    ::close(fd);
    return;
  }
  auto connection = std::make_unique<Connection>(fd, this, connections.size());
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = connection.get();
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) return;  // ~Connection closes fd
  server->ConnectionOpened();
  connections.push_back(std::move(connection));
  // Edge-triggered: whatever arrived before the registration raised no edge.
  connections.back()->Drive();
}

void Loop::Remove(Connection* connection) {
  const size_t slot = connection->slot();
  std::swap(connections[slot], connections.back());
  connections[slot]->slot() = slot;
  closed.push_back(std::move(connections.back()));
  connections.pop_back();
  server->ConnectionClosed();
}

template <typename Predicate>
void Loop::CloseIf(Predicate close) {
  // Collected first: Close() reorders `connections`.
  std::vector<Connection*> closing;
  for (auto& c : connections) {
    if (close(*c)) closing.push_back(c.get());
  }
  for (Connection* c : closing) c->Close();
}

void Loop::WatchListener(uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = kListenerTag;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &event);
}

void Loop::Accept() {
  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        WatchListener(0);  // no events until resumed
        accept_paused = true;
        accept_resumes = now + kAcceptPause;
      }
      return;  // EAGAIN: none left
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Loop& target = *server->loops[next_loop];
    next_loop = (next_loop + 1) % server->loops.size();
    if (&target == this) {
      Adopt(fd);
    } else {
      target.Hand(fd);
    }
  }
}

void Loop::OnWake() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(wake_fd, &count, sizeof(count));
  std::vector<int> arrived;
  {
    std::lock_guard lock(inbox_mu);
    arrived.swap(inbox);
  }
  for (int fd : arrived) Adopt(fd);  // closed at once when draining
  if (!server->draining.load()) return;
  if (listen_fd >= 0) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
    ::close(listen_fd);
    listen_fd = -1;
  }
  // Idle connections close now; one whose response is being written, after it.
  CloseIf([](const Connection& c) { return !c.writing(); });
}

void Loop::Sweep() {
  CloseIf([this](const Connection& c) { return now >= c.deadline(); });
  if (accept_paused && now >= accept_resumes && listen_fd >= 0) {
    WatchListener(EPOLLIN);
    accept_paused = false;
  }
}

void Loop::Run() {
  const auto& options = server->options;
  // Deadlines are checked this often: a quarter of the shortest timeout, within [10 ms, 1 s].
  const auto sweep_every = std::clamp<std::chrono::milliseconds>(
      std::min(options.idle_timeout, options.write_timeout) / 4, std::chrono::milliseconds(10),
      std::chrono::milliseconds(1000));
  std::array<epoll_event, 64> events;
  now = Clock::now();
  Clock::time_point next_sweep = now + sweep_every;
  while (!stop.load(std::memory_order_relaxed)) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_sweep - now);
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::max<int64_t>(wait.count(), 0)));
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const epoll_event& event = events[static_cast<size_t>(i)];
      if (event.data.u64 == kWakeTag) {
        OnWake();
      } else if (event.data.u64 == kListenerTag) {
        if (listen_fd >= 0) Accept();
      } else {
        static_cast<Connection*>(event.data.ptr)->OnEvent(event.events);
      }
    }
    closed.clear();
    if (now >= next_sweep) {
      Sweep();
      closed.clear();
      next_sweep = now + sweep_every;
    }
  }
  // Stopping: whatever is left was cut by the drain timeout. (Sockets still in the inbox
  // are closed by ~Loop, after every loop has stopped handing any over.)
  CloseIf([](const Connection&) { return true; });
  closed.clear();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

namespace {

// A listening TCP socket on host:port (an IPv4 or IPv6 address), or the error.
Result<int> Listen(const std::string& host, uint16_t port) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    return Status::InvalidArgument("server host: not an IP address: " + host);
  }
  const std::string where = host + ":" + std::to_string(port);
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable("cannot listen on " + where + ": " + Errno(errno));
  const int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    const int error = errno;
    ::close(fd);
    return Status::Unavailable("cannot listen on " + where + ": " + Errno(error));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options, Handler handler) {
  if (options.threads < 1) return Status::InvalidArgument("server threads: at least 1");
  auto listener = Listen(options.host, options.port);
  if (!listener.ok()) return listener.status();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  std::random_device random;
  uint64_t salt = (static_cast<uint64_t>(random()) << 32) ^ random();
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx-", static_cast<unsigned long long>(salt));
  impl->id_prefix = buf;

  for (int i = 0; i < options.threads; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->server = impl.get();
    loop->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    loop->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (i == 0) loop->listen_fd = *listener;  // the loop closes it
    impl->loops.push_back(std::move(loop));
    Loop& l = *impl->loops.back();
    if (l.epoll_fd < 0 || l.wake_fd < 0) {
      return Status::Unavailable("cannot start the server's event loop: " + Errno(errno));
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kWakeTag;
    ::epoll_ctl(l.epoll_fd, EPOLL_CTL_ADD, l.wake_fd, &event);
    if (i == 0) {
      event.data.u64 = kListenerTag;
      ::epoll_ctl(l.epoll_fd, EPOLL_CTL_ADD, l.listen_fd, &event);
    }
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(*listener, reinterpret_cast<sockaddr*>(&bound), &length);
  impl->port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  for (auto& loop : impl->loops) {
    loop->thread = std::thread([l = loop.get()] { l->Run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port; }

bool HttpServer::draining() const { return impl_->draining.load(); }

size_t HttpServer::Shutdown() {
  Impl& s = *impl_;
  if (s.shut_down) return 0;
  s.shut_down = true;
  s.draining.store(true);
  for (auto& loop : s.loops) loop->Wake();
  size_t cut = 0;
  {
    std::unique_lock lock(s.mu);
    if (!s.connections_gone.wait_for(lock, s.options.drain_timeout,
                                     [&s] { return s.connections == 0; })) {
      cut = s.connections;
    }
  }
  for (auto& loop : s.loops) {
    loop->stop.store(true);
    loop->Wake();
  }
  for (auto& loop : s.loops) loop->thread.join();
  return cut;
}

}  // namespace mlloop::serve
