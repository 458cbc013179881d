#include "agent/client/batch.h"

#include "common/push_codec.h"

namespace skald::agent::client {

void Batch::Add(const std::string& labels, common::Entry entry, AckRef ack) {
  bytes_ += entry.line.size();
  streams_[labels].push_back(std::move(entry));
  acks_.push_back(ack);
}

std::string Batch::Encode() {
  common::PushRequest req;
  req.streams.reserve(streams_.size());
  for (auto& [labels, entries] : streams_) {
    req.streams.push_back(common::PushStream{labels, std::move(entries)});
  }
  streams_.clear();
  return common::EncodePushProtobuf(req);
}

}  // namespace skald::agent::client
