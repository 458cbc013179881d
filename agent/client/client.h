// Client: pushes entries to one Loki-compatible URL (one `clients:` entry).
//
// Entries are grouped per tenant; each tenant has its own sender thread and
// batch, so a slow or throttled tenant never stalls the others. A batch is
// sent when adding an entry would exceed batchsize, or when it is batchwait
// old. Connection errors, 429 and 5xx are retried with exponential backoff
// and jitter (honouring Retry-After, capped at max_period) up to max_retries;
// other statuses drop the batch at once (counted with reason
// ingester_error). Every entry is reported to `on_done` exactly once, after
// it was acknowledged or dropped for good, so the caller can advance
// positions. Metrics use Promtail's names.
//
// Concurrency: Send() is thread-safe; Start/Stop from the owning thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/client/batch.h"
#include "agent/client/client_config.h"
#include "common/clock.h"
#include "common/http/http_client.h"
#include "common/labels.h"
#include "common/metrics.h"

namespace skald::agent::client {

using LabelMap = std::map<std::string, std::string>;
// Stream labels shared by the entries of one stream (consecutive entries of
// a file usually carry the same pointer, which the sender uses as a cache key).
using SharedLabels = std::shared_ptr<const LabelMap>;

struct ClientEntry {
  std::string tenant;  // "" -> the client's tenant_id (or none)
  // The stream's labels. Null in SendAll: the same labels and tenant as the
  // entry before it in the same call (a run of one stream carries the
  // pointer once, so reader and sender do not both touch its reference
  // count per entry). Never null for Send or the first entry of a call.
  SharedLabels labels;
  common::Entry entry;
  AckRef ack;
};

using AckFn = std::function<void(const std::vector<AckRef>&)>;
using PushFn = std::function<common::Result<common::http::ClientResponse>(
    const common::http::ClientRequest&)>;

class Client {
 public:
  // `push` sends one request (tests inject a fake); null: a real HttpClient
  // per tenant. `metrics` may be null. `on_done` is called from sender
  // threads. Returns an error Status via Init() for unreadable secret files.
  Client(ClientConfig config, AckFn on_done, common::MetricsRegistry* metrics,
         common::Clock* clock, PushFn push = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Reads password_file / bearer_token_file. InvalidArgument on failure.
  common::Status Init();
  // Queues one entry (never blocks on the network).
  void Send(ClientEntry e);
  // Queues all of `entries` (moved from; the vector is left empty) with one
  // wake-up per tenant instead of one per entry.
  void SendAll(std::vector<ClientEntry>* entries);
  // Sends what is batched (one attempt per batch after `deadline_ns` of
  // retries) and joins the sender threads.
  void Stop(int64_t deadline_ns);

  const ClientConfig& config() const { return config_; }

  struct Tenant;

 private:
  Tenant* TenantFor(const std::string& tenant);
  void RunTenant(Tenant* t);
  void SendBatch(Tenant* t, Batch* batch);
  // One push attempt: 0 on transport error, else the HTTP status.
  int PushOnce(Tenant* t, const common::http::ClientRequest& req, int64_t* retry_after_ns);

  const ClientConfig config_;
  const AckFn on_done_;
  common::Clock* const clock_;
  const PushFn push_;
  std::string auth_header_;
  std::string host_;

  common::Family<common::Counter>* sent_entries_ = nullptr;
  common::Family<common::Counter>* sent_bytes_ = nullptr;
  common::Family<common::Counter>* encoded_bytes_ = nullptr;
  common::Family<common::Counter>* dropped_entries_ = nullptr;
  common::Family<common::Counter>* dropped_bytes_ = nullptr;
  common::Family<common::Counter>* retries_ = nullptr;
  common::Family<common::Histogram>* duration_ = nullptr;

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Tenant>> tenants_;  // guarded by mu_
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> stop_deadline_ns_{0};
};

}  // namespace skald::agent::client
