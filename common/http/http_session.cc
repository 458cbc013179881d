// One connection = one coroutine loop (Beast's http_server_awaitable shape):
// expires_after -> co_await read -> handle on a worker -> co_await write ->
// loop while keep-alive. WebSocket upgrades continue in RunWebSocket.
#include <spdlog/spdlog.h>

#include <limits>

#include <boost/asio/redirect_error.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "common/http/http_server_impl.h"
#include "common/http/url_encoding.h"

namespace skald::common::http {

namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;
using BeastRequest = bhttp::request<bhttp::string_body>;

namespace {

// How long one WebSocketStream::Next call may block a worker; bounds how
// quickly a closed client or Stop() is noticed.
constexpr std::chrono::milliseconds kWebSocketPoll{250};
constexpr std::chrono::milliseconds kWebSocketPingInterval{1000};
// RFC 6455 limits a close reason to 123 bytes; longer reasons are truncated.
constexpr size_t kMaxCloseReason = 123;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Request ToRequest(const BeastRequest& in, const std::string& remote) {
  Request req;
  req.method = std::string(in.method_string());
  req.target = std::string(in.target());
  for (const auto& field : in) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.remote_address = remote;
  return req;
}

bhttp::response<bhttp::string_body> ToBeast(Response r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(r.status));
  if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

Response RunHandler(const Handler& h, const Request& req) {
  try {
    return h(req);
  } catch (const std::exception& e) {
    spdlog::error("http: handler for {} {} threw: {}", req.method, req.path, e.what());
    return Response::Text(500, std::string("internal error: ") + e.what() + "\n");
  }
}

std::string Remote(const beast::tcp_stream& stream) {
  boost::system::error_code ec;
  auto ep = stream.socket().remote_endpoint(ec);
  if (ec) return {};
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// Reads client frames until the connection closes; the read also answers
// pings and close frames. Sets *closed when done.
asio::awaitable<void> ReadUntilClosed(std::shared_ptr<websocket::stream<beast::tcp_stream>> ws,
                                      std::shared_ptr<bool> closed) {
  beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    co_await ws->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    buffer.consume(buffer.size());
  }
  *closed = true;
}

asio::awaitable<void> RunWebSocket(HttpServer::Impl* impl, beast::tcp_stream stream, const BeastRequest& breq,
                                   std::unique_ptr<WebSocketStream> source) {
  stream.expires_never();  // the websocket stream owns its timeouts now
  auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(stream));
  websocket::stream_base::timeout t{};
  t.handshake_timeout = impl->options.read_timeout;
  t.idle_timeout = std::chrono::seconds(30);  // no frame (not even a pong) for 30 s: drop
  t.keep_alive_pings = false;                 // we ping every second ourselves
  ws->set_option(t);
  boost::system::error_code ec;
  co_await ws->async_accept(breq, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_await impl->OnWorkers([&source] { source->Close(); });
    co_return;
  }
  auto closed = std::make_shared<bool>(false);
  asio::co_spawn(ws->get_executor(), ReadUntilClosed(ws, closed), asio::detached);
  ws->text(true);
  auto last_ping = Clock::now();
  websocket::close_reason reason(websocket::close_code::normal);
  bool send_close = false;
  while (!*closed) {
    if (impl->stopping.load()) {
      reason = websocket::close_reason(websocket::close_code::going_away);
      send_close = true;
      break;
    }
    WebSocketStream* src = source.get();
    Result<std::optional<std::string>> next = co_await impl->OnWorkers([src] { return src->Next(kWebSocketPoll); });
    if (*closed) break;
    if (!next.ok()) {
      std::string msg = next.status().message().substr(0, kMaxCloseReason);
      reason = websocket::close_reason(websocket::close_code::internal_error, msg);
      send_close = true;
      break;
    }
    if (next->has_value()) {
      co_await ws->async_write(asio::buffer(**next), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    if (Clock::now() - last_ping >= kWebSocketPingInterval) {
      co_await ws->async_ping({}, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      last_ping = Clock::now();
    }
  }
  if (send_close && !*closed) {
    co_await ws->async_close(reason, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_await impl->OnWorkers([src = source.get()] { src->Close(); });
}

// Registers the session for Stop() and unregisters on every exit path.
class SessionGuard {
 public:
  SessionGuard(HttpServer::Impl* impl, beast::tcp_stream* stream)
      : impl_(impl), id_(impl->next_session_id.fetch_add(1)) {
    slot_.stream = stream;
    slot_.executor = stream->get_executor();
    impl_->Register(id_, &slot_);
  }
  ~SessionGuard() { impl_->Unregister(id_); }
  SessionGuard(const SessionGuard&) = delete;
  SessionGuard& operator=(const SessionGuard&) = delete;
  void set_idle(bool idle) { slot_.idle = idle; }
  // The stream moved into a WebSocket session: Stop() must not touch it.
  void release_stream() { slot_.stream = nullptr; }

 private:
  HttpServer::Impl* impl_;
  uint64_t id_;
  SessionSlot slot_;
};

}  // namespace

asio::awaitable<void> RunSession(HttpServer::Impl* impl, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const std::string remote = Remote(stream);
  SessionGuard guard(impl, &stream);
  beast::flat_buffer buffer;
  bool first = true;
  const auto& opt = impl->options;
  while (!impl->stopping.load()) {
    boost::system::error_code ec;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    // Checked per route once the headers are known. (Not boost::none: Beast
    // 1.74 compares Content-Length > none as true and fails every body.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    guard.set_idle(true);
    stream.expires_after(first ? opt.read_timeout : opt.idle_timeout);
    co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    guard.set_idle(false);
    first = false;
    if (ec) break;  // eof, timeout, cancelled by Stop, malformed
    const auto start = Clock::now();

    Request req = ToRequest(parser.get(), remote);
    size_t q = req.target.find('?');
    Result<std::string> path = PathUnescape(std::string_view(req.target).substr(0, q));
    req.path = path.ok() ? path.value() : req.target.substr(0, q);
    const bool upgrade = websocket::is_upgrade(parser.get());
    Router::Match match = impl->router.Find(req.method, req.path, upgrade);
    const std::string route = Router::RouteLabel(match);
    const size_t limit = match.route ? match.route->options.body_limit : kDefaultBodyLimit;
    const unsigned version = parser.get().version();
    bool keep_alive = parser.get().keep_alive();

    Response resp;
    bool body_ok = true;
    auto content_length = parser.content_length();
    if (content_length && *content_length > limit) {
      body_ok = false;
    } else if (!parser.is_done()) {
      parser.body_limit(limit);
      if (EqualsIgnoreCase(req.Header("Expect"), "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
        stream.expires_after(opt.write_timeout);
        co_await bhttp::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      stream.expires_after(opt.read_timeout);
      co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::body_limit) {
        body_ok = false;
      } else if (ec) {
        spdlog::warn("http: reading the request body of {} {} from {} failed: {}", req.method,
                     req.path, remote, ec.message());
        break;
      }
    }
    stream.expires_never();
    if (!body_ok) {
      resp = Response::Text(413, "request body too large: the limit for this endpoint is " +
                                     std::to_string(limit) + " bytes\n");
      keep_alive = false;  // the rest of the body is unread
    } else {
      req.body = std::move(parser.get().body());
      Status form = ParseTargetAndForm(&req);
      if (match.route == nullptr) {
        resp = match.path_known ? MethodNotAllowedResponse(match.allowed) : NotFoundResponse();
      } else if (!form.ok()) {
        resp = Response::Text(400, form.message() + "\n");
      } else if (match.route->websocket) {
        req.path_params = match.path_params;
        const WebSocketHandler* h = &match.route->websocket;
        auto outcome = co_await impl->OnWorkers([h, &req] { return (*h)(req); });
        if (auto* source = std::get_if<std::unique_ptr<WebSocketStream>>(&outcome)) {
          impl->Observe(req.method, route, 101, true, SecondsSince(start));
          guard.release_stream();
          co_await RunWebSocket(impl, std::move(stream), parser.get(), std::move(*source));
          co_return;
        }
        resp = std::move(std::get<Response>(outcome));
      } else {
        req.path_params = match.path_params;
        const Handler* h = &match.route->handler;
        resp = co_await impl->OnWorkers([h, &req] { return RunHandler(*h, req); });
      }
    }
    const int status = resp.status;
    if (impl->stopping.load()) keep_alive = false;
    auto res = ToBeast(std::move(resp), version, keep_alive);
    stream.expires_after(opt.write_timeout);
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    impl->Observe(req.method, route, status, false, SecondsSince(start));
    if (ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace skald::common::http
