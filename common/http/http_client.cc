#include "common/http/http_client.h"

#include <utility>  // before Asio: Boost 1.74 + GCC 12 wrinkle

#include <limits>
#include <mutex>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace skald::common::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

struct ParsedUrl {
  bool https = false;
  std::string host;
  std::string port;
  std::string target;
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl u;
  if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
  } else if (url.substr(0, 8) == "https://") {
    u.https = true;
    url.remove_prefix(8);
  } else {
    return Status::InvalidArgument("unsupported URL scheme (want http:// or https://)", url);
  }
  size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (!u.target.empty() && u.target.front() == '?') u.target.insert(0, "/");
  if (authority.empty()) return Status::InvalidArgument("URL has no host");
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
  } else {
    u.host = std::string(authority);
    u.port = u.https ? "443" : "80";
  }
  if (u.host.size() >= 2 && u.host.front() == '[' && u.host.back() == ']') {
    u.host = u.host.substr(1, u.host.size() - 2);
  }
  return u;
}

Status FromError(const error_code& ec, std::string_view what) {
  std::string msg = std::string(what) + ": " + ec.message();
  if (ec == beast::error::timeout) return Status::Timeout(msg);
  return Status::Unavailable(msg);
}

bool IsStaleConnection(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted;
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions o) : options(std::move(o)) {}

  Status EnsureSslContext();
  asio::awaitable<void> Connect(const ParsedUrl& url, Status* out);
  template <typename Stream>
  asio::awaitable<void> Exchange(Stream& stream, const ParsedUrl& url, const ClientRequest& req,
                                 std::optional<Result<ClientResponse>>* out, bool* stale);
  Result<ClientResponse> Attempt(const ParsedUrl& url, const ClientRequest& req, bool* stale);
  void Drop() {
    plain.reset();
    tls.reset();
    key.clear();
  }

  const HttpClientOptions options;
  std::mutex mu;  // serializes Do()
  asio::io_context ioc;
  std::unique_ptr<ssl::context> ssl_ctx;
  std::string key;  // "scheme://host:port" of the open connection; empty: none
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  uint64_t opened = 0;
};

Status HttpClient::Impl::EnsureSslContext() {
  if (ssl_ctx) return Status::OK();
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  error_code ec;
  const auto& t = options.tls;
  if (t.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (!ec) {
      if (t.ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
      } else {
        ctx->load_verify_file(t.ca_file, ec);
      }
    }
  }
  if (ec) return Status::InvalidArgument("tls: cannot load CA: " + ec.message(), t.ca_file);
  if (!t.cert_file.empty()) {
    ctx->use_certificate_chain_file(t.cert_file, ec);
    if (ec) return Status::InvalidArgument("tls: cannot load certificate: " + ec.message(), t.cert_file);
    ctx->use_private_key_file(t.key_file, ssl::context::pem, ec);
    if (ec) return Status::InvalidArgument("tls: cannot load key: " + ec.message(), t.key_file);
  }
  ssl_ctx = std::move(ctx);
  return Status::OK();
}

asio::awaitable<void> HttpClient::Impl::Connect(const ParsedUrl& url, Status* out) {
  error_code ec;
  tcp::resolver resolver(ioc);
  auto results = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    *out = FromError(ec, "resolve " + url.host);
    co_return;
  }
  auto stream = std::make_unique<beast::tcp_stream>(ioc);
  stream->expires_after(options.connect_timeout);
  co_await stream->async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    *out = FromError(ec, "dial tcp " + url.host + ":" + url.port);
    co_return;
  }
  ++opened;
  if (!url.https) {
    plain = std::move(stream);
    co_return;
  }
  tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), *ssl_ctx);
  const std::string& name = options.tls.server_name.empty() ? url.host : options.tls.server_name;
  SSL_set_tlsext_host_name(tls->native_handle(), name.c_str());
  if (!options.tls.insecure_skip_verify) tls->set_verify_callback(ssl::rfc2818_verification(name));
  beast::get_lowest_layer(*tls).expires_after(options.connect_timeout);
  co_await tls->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    tls.reset();
    *out = FromError(ec, "tls handshake with " + url.host);
  }
}

template <typename Stream>
asio::awaitable<void> HttpClient::Impl::Exchange(Stream& stream, const ParsedUrl& url, const ClientRequest& req,
                                                 std::optional<Result<ClientResponse>>* out, bool* stale) {
  // The body is sent from the caller's buffer (kept for a retry), not copied.
  bhttp::request<bhttp::span_body<const char>> breq;
  breq.version(11);
  breq.method_string(req.method);
  breq.target(url.target);
  breq.set(bhttp::field::host, url.host + ":" + url.port);
  for (const auto& [k, v] : req.headers) breq.set(k, v);
  breq.body() = beast::span<const char>(req.body.data(), req.body.size());
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT") breq.prepare_payload();
  breq.keep_alive(true);
  error_code ec;
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options.request_timeout);
  co_await bhttp::async_write(stream, breq, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    *stale = IsStaleConnection(ec);
    *out = FromError(ec, "write request");
    co_return;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none (Beast 1.74 bug)
  co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  lowest.expires_never();
  if (ec) {
    *stale = IsStaleConnection(ec) && !parser.got_some();
    *out = FromError(ec, "read response");
    co_return;
  }
  auto& res = parser.get();
  ClientResponse cr;
  cr.status = static_cast<int>(res.result_int());
  for (const auto& f : res) cr.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  cr.body = std::move(res.body());
  if (!res.keep_alive()) Drop();
  *out = std::move(cr);
}

Result<ClientResponse> HttpClient::Impl::Attempt(const ParsedUrl& url, const ClientRequest& req, bool* stale) {
  std::optional<Result<ClientResponse>> out;
  Status connect_status;
  auto run = [&]() -> asio::awaitable<void> {
    if (!plain && !tls) {
      co_await Connect(url, &connect_status);
      if (!connect_status.ok()) co_return;
      key = (url.https ? "https://" : "http://") + url.host + ":" + url.port;
    }
    if (tls) {
      co_await Exchange(*tls, url, req, &out, stale);
    } else {
      co_await Exchange(*plain, url, req, &out, stale);
    }
  };
  std::exception_ptr failure;
  asio::co_spawn(ioc, run(), [&failure](std::exception_ptr e) { failure = e; });
  ioc.restart();
  ioc.run();
  if (failure) {
    Drop();
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("http client: ") + e.what());
    } catch (...) {
      return Status::Internal("http client: unknown exception");
    }
  }
  if (!connect_status.ok()) {
    Drop();
    return connect_status;
  }
  if (!out.has_value()) return Status::Internal("http client: no result");
  if (!out->ok()) Drop();
  return std::move(*out);
}

std::string_view ClientResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

uint64_t HttpClient::connections_opened() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->opened;
}

Result<ClientResponse> HttpClient::Do(const ClientRequest& request) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Result<ParsedUrl> url = ParseUrl(request.url);
  if (!url.ok()) return url.status();
  if (url->https) SKALD_RETURN_IF_ERROR(impl_->EnsureSslContext());
  std::string key = (url->https ? "https://" : "http://") + url->host + ":" + url->port;
  if (key != impl_->key) impl_->Drop();
  const bool reused = impl_->plain || impl_->tls;
  if (!reused) impl_->buffer.clear();
  bool stale = false;
  Result<ClientResponse> r = impl_->Attempt(*url, request, &stale);
  if (!r.ok() && reused && stale) {
    impl_->buffer.clear();
    stale = false;
    r = impl_->Attempt(*url, request, &stale);
  }
  return r;
}

}  // namespace skald::common::http
