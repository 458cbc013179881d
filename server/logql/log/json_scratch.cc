#include "server/logql/log/json_scratch.h"

namespace skald::server::logql::log {

void JsonScratchDeleter::operator()(JsonScratch* p) const { delete p; }

JsonScratch& StageScratch::json() {
  if (!json_) json_.reset(new JsonScratch());
  return *json_;
}

}  // namespace skald::server::logql::log
