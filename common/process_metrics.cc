#include "common/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace skald::common {

namespace {

// Fields of /proc/self/stat after the ")" that ends the command name;
// fields[0] is the state (field 3 in proc(5)).
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = all.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(all.substr(close + 1));
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields;
}

// proc(5) field number n (1-based) as a double; 0 when missing.
double StatField(const std::vector<std::string>& fields, size_t n) {
  size_t i = n - 3;
  if (n < 3 || i >= fields.size()) return 0;
  return std::strtod(fields[i].c_str(), nullptr);
}

double CpuSeconds() {
  auto f = StatFields();
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (ticks <= 0) return 0;
  return (StatField(f, 14) + StatField(f, 15)) / ticks;  // utime + stime
}

double ResidentBytes() { return StatField(StatFields(), 24) * static_cast<double>(sysconf(_SC_PAGESIZE)); }
double VirtualBytes() { return StatField(StatFields(), 23); }

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') n += 1;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

double MaxFds() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  return static_cast<double>(lim.rlim_cur);
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double StartTimeSeconds() {
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (ticks <= 0) return 0;
  return BootTimeSeconds() + StatField(StatFields(), 22) / ticks;
}

}  // namespace

void RegisterProcessMetrics(MetricsRegistry* registry) {
  registry->AddCallback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                        MetricType::kCounter, CpuSeconds);
  registry->AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge,
                        ResidentBytes);
  registry->AddCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge,
                        VirtualBytes);
  registry->AddCallback("process_open_fds", "Number of open file descriptors.", MetricType::kGauge, OpenFds);
  registry->AddCallback("process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge, MaxFds);
  const double start = StartTimeSeconds();
  registry->AddCallback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                        MetricType::kGauge, [start] { return start; });
}

}  // namespace skald::common
