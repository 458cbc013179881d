#include "common/metrics.h"

#include "common/process_metrics.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

namespace skald::common {
namespace {

TEST_CASE("a counter family exposes HELP, TYPE and one line per child") {
  MetricsRegistry r;
  auto* fam = r.AddCounter("loki_discarded_samples_total", "The total number of samples that were discarded.",
                           {"reason", "tenant"});
  fam->WithLabels({"rate_limited", "fake"})->Inc(3);
  fam->WithLabels({"line_too_long", "fake"})->Inc();
  CHECK(r.Expose() ==
        "# HELP loki_discarded_samples_total The total number of samples that were discarded.\n"
        "# TYPE loki_discarded_samples_total counter\n"
        "loki_discarded_samples_total{reason=\"line_too_long\",tenant=\"fake\"} 1\n"
        "loki_discarded_samples_total{reason=\"rate_limited\",tenant=\"fake\"} 3\n");
}

TEST_CASE("WithLabels returns the same stable child for the same values") {
  MetricsRegistry r;
  auto* fam = r.AddGauge("g", "help", {"a"});
  Gauge* first = fam->WithLabels({"x"});
  fam->WithLabels({"y"});
  CHECK(fam->WithLabels({"x"}) == first);
}

TEST_CASE("label values are escaped") {
  MetricsRegistry r;
  r.AddGauge("g", "a\\b\nc", {"v"})->WithLabels({"q\"\\\n"})->Set(-2.5);
  CHECK(r.Expose() ==
        "# HELP g a\\\\b\\nc\n"
        "# TYPE g gauge\n"
        "g{v=\"q\\\"\\\\\\n\"} -2.5\n");
}

TEST_CASE("a histogram exposes cumulative buckets, +Inf, sum and count") {
  MetricsRegistry r;
  auto* h = r.AddHistogram("req_seconds", "Request time.", {"route"}, {0.1, 1})->WithLabels({"push"});
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  CHECK(r.Expose() ==
        "# HELP req_seconds Request time.\n"
        "# TYPE req_seconds histogram\n"
        "req_seconds_bucket{route=\"push\",le=\"0.1\"} 1\n"
        "req_seconds_bucket{route=\"push\",le=\"1\"} 2\n"
        "req_seconds_bucket{route=\"push\",le=\"+Inf\"} 3\n"
        "req_seconds_sum{route=\"push\"} 5.55\n"
        "req_seconds_count{route=\"push\"} 3\n");
}

TEST_CASE("a histogram without labels has only le") {
  MetricsRegistry r;
  r.AddHistogram("h", "x", {}, {1})->Get()->Observe(1);
  CHECK(r.Expose() ==
        "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n");
}

TEST_CASE("families are exposed sorted by name and callbacks are read at exposition") {
  MetricsRegistry r;
  double v = 7;
  r.AddCallback("z_open_fds", "Open fds.", MetricType::kGauge, [&v] { return v; });
  r.AddCounter("a_total", "A.")->Get()->Inc(2);
  v = 9;
  CHECK(r.Expose() ==
        "# HELP a_total A.\n# TYPE a_total counter\na_total 2\n"
        "# HELP z_open_fds Open fds.\n# TYPE z_open_fds gauge\nz_open_fds 9\n");
}

TEST_CASE("registering a name twice returns the existing family, another type returns null") {
  MetricsRegistry r;
  auto* a = r.AddCounter("x_total", "x", {"l"});
  CHECK(r.AddCounter("x_total", "x", {"l"}) == a);
  CHECK(r.AddGauge("x_total", "x", {"l"}) == nullptr);
}

TEST_CASE("counters ignore negative increments") {
  MetricsRegistry r;
  Counter* c = r.AddCounter("c_total", "c")->Get();
  c->Inc(2);
  c->Inc(-5);
  CHECK(c->Value() == 2);
}

TEST_CASE("sample values use Go's shortest 'g' formatting") {
  CHECK(FormatPromFloat(0) == "0");
  CHECK(FormatPromFloat(1) == "1");
  CHECK(FormatPromFloat(0.005) == "0.005");
  CHECK(FormatPromFloat(123456) == "123456");
  CHECK(FormatPromFloat(1e6) == "1e+06");
  CHECK(FormatPromFloat(24576000) == "2.4576e+07");
  CHECK(FormatPromFloat(0.0001) == "0.0001");
  CHECK(FormatPromFloat(0.00001) == "1e-05");
  CHECK(FormatPromFloat(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatPromFloat(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(FormatPromFloat(std::nan("")) == "NaN");
}

TEST_CASE("exponential buckets multiply by the factor") {
  CHECK(ExponentialBuckets(1, 2, 4) == std::vector<double>{1, 2, 4, 8});
}

TEST_CASE("process metrics are registered with plausible values") {
  MetricsRegistry r;
  RegisterProcessMetrics(&r);
  std::string text = r.Expose();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    CHECK(text.find(std::string("# TYPE ") + name) != std::string::npos);
  }
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
  CHECK(text.find("process_resident_memory_bytes 0\n") == std::string::npos);
  CHECK(text.find("process_open_fds 0\n") == std::string::npos);
  CHECK(text.find("process_start_time_seconds 0\n") == std::string::npos);
}

}  // namespace
}  // namespace skald::common
