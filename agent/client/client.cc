#include "agent/client/client.h"

#include <pthread.h>

#include <fstream>
#include <unordered_map>
#include <random>
#include <sstream>

namespace skald::agent::client {

using common::Result;
using common::Status;

struct Client::Tenant {
  std::string name;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<ClientEntry> queue;  // guarded by mu
  bool stop = false;              // guarded by mu
  std::unique_ptr<common::http::HttpClient> http;
  std::thread thread;
};

namespace {

// Label sets whose canonical string a tenant sender remembers; beyond it the
// cache is emptied and refilled.
constexpr size_t kMaxCachedLabelSets = 4096;

Result<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read secret file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k[v >> 18], out += k[(v >> 12) & 63], out += k[(v >> 6) & 63], out += k[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += k[v >> 18], out += k[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k[v >> 18], out += k[(v >> 12) & 63], out += k[(v >> 6) & 63], out += '=';
  }
  return out;
}

std::string HostOf(const std::string& url) {
  size_t p = url.find("://");
  size_t start = p == std::string::npos ? 0 : p + 3;
  size_t end = url.find('/', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

Client::Client(ClientConfig config, AckFn on_done, common::MetricsRegistry* metrics,
               common::Clock* clock, PushFn push)
    : config_(std::move(config)), on_done_(std::move(on_done)), clock_(clock),
      push_(std::move(push)), host_(HostOf(config_.url)) {
  if (metrics != nullptr) {
    sent_entries_ = metrics->AddCounter("promtail_sent_entries_total",
                                        "Number of log entries sent to the ingester.", {"host"});
    sent_bytes_ = metrics->AddCounter("promtail_sent_bytes_total",
                                      "Number of bytes sent.", {"host"});
    encoded_bytes_ = metrics->AddCounter("promtail_encoded_bytes_total",
                                         "Number of bytes encoded and ready to send.", {"host"});
    dropped_entries_ = metrics->AddCounter(
        "promtail_dropped_entries_total",
        "Number of log entries dropped because failed to be sent to the ingester after all retries.",
        {"host", "tenant", "reason"});
    dropped_bytes_ = metrics->AddCounter(
        "promtail_dropped_bytes_total",
        "Number of bytes dropped because failed to be sent to the ingester after all retries.",
        {"host", "tenant", "reason"});
    retries_ = metrics->AddCounter("promtail_batch_retries_total",
                                   "Number of times batches has had to be retried.",
                                   {"host", "tenant"});
    duration_ = metrics->AddHistogram("promtail_request_duration_seconds",
                                      "Duration of send requests.", {"status_code", "host"});
  }
}

Client::~Client() { Stop(0); }

Status Client::Init() {
  if (!config_.basic_auth.username.empty()) {
    std::string pw = config_.basic_auth.password;
    if (!config_.basic_auth.password_file.empty()) {
      Result<std::string> s = ReadSecret(config_.basic_auth.password_file);
      if (!s.ok()) return s.status();
      pw = *s;
    }
    auth_header_ = "Basic " + Base64(config_.basic_auth.username + ":" + pw);
  } else if (!config_.bearer_token.empty() || !config_.bearer_token_file.empty()) {
    std::string tok = config_.bearer_token;
    if (!config_.bearer_token_file.empty()) {
      Result<std::string> s = ReadSecret(config_.bearer_token_file);
      if (!s.ok()) return s.status();
      tok = *s;
    }
    auth_header_ = "Bearer " + tok;
  }
  return Status::OK();
}

Client::Tenant* Client::TenantFor(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = tenants_[tenant];
  if (!slot) {
    slot = std::make_unique<Tenant>();
    slot->name = tenant;
    if (!push_) {
      common::http::HttpClientOptions o;
      o.request_timeout = std::chrono::milliseconds(config_.timeout_ns / 1'000'000);
      o.connect_timeout = o.request_timeout;
      o.tls = config_.tls;
      slot->http = std::make_unique<common::http::HttpClient>(o);
    }
    Tenant* t = slot.get();
    t->thread = std::thread([this, t] {
      pthread_setname_np(pthread_self(), "agent-push");  // shows in top/perf
      RunTenant(t);
    });
  }
  return slot.get();
}

void Client::Send(ClientEntry e) {
  if (e.tenant.empty()) e.tenant = config_.tenant_id;
  Tenant* t = TenantFor(e.tenant);
  {
    std::lock_guard<std::mutex> lock(t->mu);
    t->queue.push_back(std::move(e));
  }
  t->cv.notify_one();
}

void Client::SendAll(std::vector<ClientEntry>* entries) {
  size_t i = 0;
  while (i < entries->size()) {
    if ((*entries)[i].tenant.empty()) (*entries)[i].tenant = config_.tenant_id;
    const std::string tenant = (*entries)[i].tenant;
    Tenant* t = TenantFor(tenant);
    {
      std::lock_guard<std::mutex> lock(t->mu);
      // A run of entries for the same tenant goes in under one lock.
      for (; i < entries->size(); ++i) {
        ClientEntry& e = (*entries)[i];
        if (e.tenant.empty()) e.tenant = config_.tenant_id;
        if (e.tenant != tenant) break;
        t->queue.push_back(std::move(e));
      }
    }
    t->cv.notify_one();
  }
  entries->clear();
}

void Client::RunTenant(Tenant* t) {
  // One batch object reused for every batch of this tenant (its arena and
  // serialization buffer keep their memory).
  Batch batch(clock_->MonotonicNanos());
  // Canonical label strings by label-set pointer (the agent shares one
  // LabelMap per stream); holding the pointer keeps the key valid.
  std::unordered_map<const LabelMap*, std::pair<SharedLabels, SharedLabelString>> label_strings;
  // The label string of the last entry that carried labels (entries with
  // null labels continue its run).
  SharedLabelString current;
  const SharedLabels no_labels = std::make_shared<const LabelMap>();
  // Promtail checks batch age every batchwait/10, at least every 10ms.
  const int64_t tick_ns = std::max<int64_t>(config_.batchwait_ns / 10, 10'000'000);
  std::deque<ClientEntry> in;
  while (true) {
    bool stop = false;
    {
      std::unique_lock<std::mutex> lock(t->mu);
      t->cv.wait_for(lock, std::chrono::nanoseconds(tick_ns),
                     [t] { return t->stop || !t->queue.empty(); });
      in.swap(t->queue);
      stop = t->stop;
    }
    for (ClientEntry& e : in) {
      if (e.labels != nullptr || current == nullptr) {
        // (null with no entry before it breaks the contract: empty labels)
        const SharedLabels& labels = e.labels != nullptr ? e.labels : no_labels;
        auto cached = label_strings.find(labels.get());
        if (cached == label_strings.end()) {
          if (label_strings.size() >= kMaxCachedLabelSets) label_strings.clear();
          std::map<std::string, std::string> merged = config_.external_labels;
          for (auto& [k, v] : *labels) merged[k] = v;
          std::vector<common::Label> pairs;
          for (auto& [k, v] : merged) pairs.push_back({k, v});
          auto str =
              std::make_shared<const std::string>(common::Labels(std::move(pairs)).ToString());
          cached = label_strings.emplace(labels.get(), std::make_pair(labels, std::move(str))).first;
        }
        current = cached->second.second;
      }
      if (!batch.empty() &&
          batch.bytes() + e.entry.line.size() > static_cast<size_t>(config_.batchsize_bytes)) {
        SendBatch(t, &batch);
        batch.Reset(clock_->MonotonicNanos());
      }
      if (batch.empty()) batch.Reset(clock_->MonotonicNanos());
      batch.Add(current, std::move(e.entry), e.ack);
    }
    in.clear();
    current = nullptr;  // a call's runs never span two queue swaps
    if (!batch.empty() &&
        (stop || clock_->MonotonicNanos() - batch.created_ns() >= config_.batchwait_ns)) {
      SendBatch(t, &batch);
      batch.Reset(clock_->MonotonicNanos());
    }
    if (stop) {
      std::lock_guard<std::mutex> lock(t->mu);
      if (t->queue.empty()) return;
    }
  }
}

int Client::PushOnce(Tenant* t, const common::http::ClientRequest& req, int64_t* retry_after_ns) {
  int64_t start = clock_->MonotonicNanos();
  Result<common::http::ClientResponse> r = push_ ? push_(req) : t->http->Do(req);
  int status = r.ok() ? r->status : 0;
  if (duration_ != nullptr) {
    duration_->WithLabels({r.ok() ? std::to_string(status) : "-1", host_})
        ->Observe(static_cast<double>(clock_->MonotonicNanos() - start) / 1e9);
  }
  *retry_after_ns = 0;
  if (r.ok()) {
    std::string ra(r->Header("Retry-After"));
    char* end = nullptr;
    long secs = ra.empty() ? 0 : std::strtol(ra.c_str(), &end, 10);
    if (!ra.empty() && end != nullptr && *end == '\0' && secs > 0) {
      *retry_after_ns = static_cast<int64_t>(secs) * 1'000'000'000;
    }
  }
  return status;
}

void Client::SendBatch(Tenant* t, Batch* batch) {
  // Built once (the body is not copied per attempt).
  common::http::ClientRequest req;
  req.method = "POST";
  req.url = config_.url;
  req.headers = {{"Content-Type", "application/x-protobuf"}, {"User-Agent", "skald-agent"}};
  if (!t->name.empty()) req.headers.emplace_back("X-Scope-OrgID", t->name);
  if (!auth_header_.empty()) req.headers.emplace_back("Authorization", auth_header_);
  req.body = batch->Encode();
  if (encoded_bytes_) encoded_bytes_->WithLabels({host_})->Inc(static_cast<double>(req.body.size()));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t delay = config_.backoff.min_period_ns;
  std::string reason;
  for (int64_t attempt = 0;; ++attempt) {
    int64_t retry_after = 0;
    int status = PushOnce(t, req, &retry_after);
    if (status >= 200 && status < 300) {
      if (sent_entries_) {
        sent_entries_->WithLabels({host_})->Inc(static_cast<double>(batch->entries()));
        sent_bytes_->WithLabels({host_})->Inc(static_cast<double>(batch->bytes()));
      }
      break;
    }
    bool retryable = status == 0 || status == 429 || status >= 500;
    if (status == 429 && config_.drop_rate_limited_batches) retryable = false;
    if (!retryable) {
      reason = status == 429 ? "rate_limited" : "ingester_error";
      break;
    }
    bool out_of_time = stopping_ && clock_->MonotonicNanos() >= stop_deadline_ns_;
    if (attempt >= config_.backoff.max_retries || out_of_time) {
      reason = status == 429 ? "rate_limited" : "ingester_error";
      break;
    }
    if (retries_) retries_->WithLabels({host_, t->name})->Inc();
    int64_t wait = std::uniform_int_distribution<int64_t>(delay / 2, std::max(delay, delay / 2))(rng);
    wait = std::min(std::max(wait, retry_after), config_.backoff.max_period_ns);
    {
      std::unique_lock<std::mutex> lock(t->mu);
      // A stop wakes us early only once the stop deadline has passed.
      t->cv.wait_for(lock, std::chrono::nanoseconds(wait), [this] {
        return stopping_ && clock_->MonotonicNanos() >= stop_deadline_ns_;
      });
    }
    delay = std::min(delay * 2, config_.backoff.max_period_ns);
  }
  if (!reason.empty() && dropped_entries_) {
    dropped_entries_->WithLabels({host_, t->name, reason})->Inc(static_cast<double>(batch->entries()));
    dropped_bytes_->WithLabels({host_, t->name, reason})->Inc(static_cast<double>(batch->bytes()));
  }
  if (on_done_) on_done_(batch->acks());
}

void Client::Stop(int64_t deadline_ns) {
  if (stopping_.exchange(true)) return;
  stop_deadline_ns_ = clock_->MonotonicNanos() + deadline_ns;
  std::vector<Tenant*> ts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [n, t] : tenants_) ts.push_back(t.get());
  }
  for (Tenant* t : ts) {
    {
      std::lock_guard<std::mutex> lock(t->mu);
      t->stop = true;
    }
    t->cv.notify_all();
  }
  for (Tenant* t : ts) {
    if (t->thread.joinable()) t->thread.join();
  }
}

}  // namespace skald::agent::client
