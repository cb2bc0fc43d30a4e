#include "serve/http_server.h"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (fixed in
// 1.75); GCC 12 in C++20 mode needs it included first.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <exception>
#include <condition_variable>
#include <mutex>
#include <memory_resource>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include "serve/json_value.h"

namespace mlloop::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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
constexpr std::chrono::seconds kWriteTimeout{30};
// Response bodies up to this size leave their buffer to the connection's next response.
constexpr size_t kKeptBodyBytes = 16 * 1024;

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

}  // namespace

class Session;

struct HttpServer::Impl {
  Options options;
  Handler handler;
  std::atomic<bool> draining{false};
  bool shut_down = false;  // Shutdown() has completed; controlling thread only

  // Sessions alive, for draining. Declared before the event loops so that sessions destroyed
  // with them still find them.
  std::mutex mu;
  std::condition_variable sessions_gone;
  std::unordered_set<Session*> sessions;  // guarded by mu

  // Request ids: a per-server random prefix and a counter, unique and cheap. Each thread
  // takes the counter's values kIdBlock at a time, so that the counter's cache line does not
  // move between the request threads' cores on every request.
  static constexpr uint64_t kIdBlock = 1024;
  static inline std::atomic<uint64_t> servers_started{0};
  const uint64_t server_number = servers_started.fetch_add(1) + 1;  // never 0, never reused
  std::string id_prefix;
  std::atomic<uint64_t> next_id{1};

  // One event loop per thread, each run by its thread alone: a connection lives on one of
  // them, so no strand is needed and threads never contend for a scheduler's lock (one
  // io_context run by two threads served 30% fewer requests on 2 cores: docs/BENCHMARKS.md).
  // The acceptor is on the first; new connections go round the loops.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  size_t next_io = 0;  // the acceptor's loop only
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;

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
  void Accept();
};

// One connection: read a request, call the handler, write the response, repeat while the
// client keeps the connection alive. Runs on its event loop's one thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket` was accepted on `loop`; the session's stream takes it over with the loop's own
  // executor type, so no completion goes through Asio's type-erased executor.
  Session(tcp::socket socket, asio::io_context& loop, HttpServer::Impl* server)
      : stream_(loop.get_executor()), server_(server) {
    beast::error_code ec;
    const tcp::endpoint local = socket.local_endpoint(ec);
    if (!ec) stream_.socket().assign(local.protocol(), socket.release(ec), ec);
    // On failure the stream stays closed and the first read ends the session.
    std::lock_guard lock(server_->mu);
    server_->sessions.insert(this);
  }
  ~Session() {
    std::lock_guard lock(server_->mu);
    server_->sessions.erase(this);
    if (server_->sessions.empty()) server_->sessions_gone.notify_all();
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Called on the session's thread when the server starts draining: an idle connection is
  // closed now, a busy one after its response.
  void Drain() {
    if (!busy_) Close();
  }

  asio::io_context::executor_type executor() { return stream_.get_executor(); }

 private:
  void Read() {
    if (server_->draining.load()) return Close();
    parser_.reset();  // its memory is the arena's: gone before the arena is released
    arena_.release();
    const ArenaAllocator allocator(&arena_);
    parser_.emplace(std::piecewise_construct, std::make_tuple(allocator),
                    std::make_tuple(allocator));
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(server_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return Close();
    }
    busy_ = true;
    if (ec) {
      // The request cannot be read to its end: answer once, then close the connection.
      const bool too_large = ec == http::error::body_limit;
      std::string id;
      server_->NewRequestId(&id);
      Respond(too_large ? 413 : 400,
              ErrorJson(too_large ? "request body: larger than the limit of " +
                                        std::to_string(server_->options.max_body_bytes) + " bytes"
                                  : "malformed HTTP request: " + ec.message(),
                        id),
              id, "", /*keep_alive=*/false, 11);
      return;
    }
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
      server_->NewRequestId(&generated_id_);
      request.request_id = generated_id_;
      request.request_id_generated = true;
    }
    HttpResponse& response = response_;
    response.Reset(request.request_id);
    try {
      server_->handler(request, &response);
    } catch (const std::exception& e) {
      response.status = 500;
      response.content_type = "application/json";
      response.body = ErrorJson(std::string("internal error: ") + e.what(), response.request_id);
    }
    Respond(response.status, std::move(response.body), response.request_id,
            response.model_version, req.keep_alive() && !server_->draining.load(), req.version(),
            response.content_type);
  }

  // Writes the response head into head_ and sends it and the body with one write. Beast's
  // serializer did the same through several layers of buffer views for every request;
  // this is the head it wrote, in its order.
  void Respond(int status, std::string body, const std::string& request_id,
               const std::string& model_version, bool keep_alive, unsigned version,
               std::string_view content_type = "application/json") {
    const auto code = static_cast<http::status>(status);
    const bool bodiless = (status >= 100 && status < 200) || status == 204 || status == 304;
    head_.clear();
    head_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    char number[8];
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
    stream_.expires_after(kWriteTimeout);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(stream_, buffers,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->busy_ = false;
                        // A small body's buffer serves the next response; a large batch's
                        // answer is not kept by the connection.
                        if (self->body_.capacity() <= kKeptBodyBytes) {
                          self->response_.body.swap(self->body_);
                        }
                        self->body_ = std::string();
                        if (ec || !self->keep_alive_) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::basic_stream<tcp, asio::io_context::executor_type> stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  alignas(std::max_align_t) std::array<std::byte, kArenaBytes> arena_bytes_;
  std::pmr::monotonic_buffer_resource arena_{arena_bytes_.data(), arena_bytes_.size()};
  std::optional<RequestParser> parser_;  // after arena_, so that it is destroyed first
  std::string head_;        // the response being written: its head (reused) and body
  std::string body_;
  // Kept from request to request so that, once a connection has served one, a request
  // allocates nothing for them: the handler's response (reset, the strings' capacity kept)
  // and the generated request id.
  HttpResponse response_;
  std::string generated_id_;
  bool keep_alive_ = false;  // after it
  bool busy_ = false;  // a request is being handled or its response written; its thread only
};

void HttpServer::Impl::Accept() {
  asio::io_context& loop = *ios[next_io];
  next_io = (next_io + 1) % ios.size();
  acceptor->async_accept(loop.get_executor(), [this, &loop](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), loop, this)->Start();
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options, Handler handler) {
  if (options.threads < 1) return Status::InvalidArgument("server threads: at least 1");
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return Status::InvalidArgument("server host: not an IP address: " + options.host);
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  std::random_device random;
  uint64_t salt = (static_cast<uint64_t>(random()) << 32) ^ random();
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx-", static_cast<unsigned long long>(salt));
  impl->id_prefix = buf;

  for (int i = 0; i < options.threads; ++i) {
    impl->ios.push_back(std::make_unique<asio::io_context>(1));
    impl->work.push_back(asio::make_work_guard(*impl->ios.back()));
  }
  impl->acceptor = std::make_unique<tcp::acceptor>(*impl->ios[0]);
  const std::string where = options.host + ":" + std::to_string(options.port);
  tcp::endpoint endpoint(address, options.port);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on " + where + ": " + ec.message());

  impl->Accept();
  for (auto& io : impl->ios) {
    impl->threads.emplace_back([io = io.get()] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->acceptor->local_endpoint().port(); }

bool HttpServer::draining() const { return impl_->draining.load(); }

size_t HttpServer::Shutdown() {
  Impl& s = *impl_;
  if (s.shut_down) return 0;
  s.shut_down = true;
  s.draining.store(true);
  asio::post(s.acceptor->get_executor(), [&s] {
    beast::error_code ignored;
    s.acceptor->close(ignored);
  });
  // Take a reference to every live session under mu, but post and release them outside it:
  // dropping the last reference runs ~Session, which locks mu.
  std::vector<std::shared_ptr<Session>> alive;
  {
    std::lock_guard lock(s.mu);
    for (Session* session : s.sessions) {
      // A session leaves the set under mu before it dies; lock() fails while it is dying.
      if (auto p = session->weak_from_this().lock()) alive.push_back(std::move(p));
    }
  }
  for (auto& session : alive) {
    asio::post(session->executor(), [session] { session->Drain(); });
  }
  alive.clear();
  size_t cut = 0;
  {
    std::unique_lock lock(s.mu);
    if (!s.sessions_gone.wait_for(lock, s.options.drain_timeout,
                                  [&s] { return s.sessions.empty(); })) {
      cut = s.sessions.size();
    }
  }
  s.work.clear();
  for (auto& io : s.ios) io->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  return cut;
}

}  // namespace mlloop::serve
