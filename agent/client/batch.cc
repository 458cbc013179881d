#include "agent/client/batch.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include "common/time.h"
#include "push.pb.h"

namespace skald::agent::client {

Batch::Batch(int64_t created_ns)
    : created_ns_(created_ns), arena_(std::make_unique<google::protobuf::Arena>()) {
  msg_ = google::protobuf::Arena::CreateMessage<logproto::PushRequest>(arena_.get());
}

Batch::~Batch() = default;

void Batch::Reset(int64_t created_ns) {
  created_ns_ = created_ns;
  bytes_ = 0;
  stream_index_.clear();
  held_labels_.clear();
  acks_.clear();
  msg_ = nullptr;
  arena_->Reset();  // runs the moved-in lines' destructors
  msg_ = google::protobuf::Arena::CreateMessage<logproto::PushRequest>(arena_.get());
}

void Batch::Add(const SharedLabelString& labels, common::Entry entry, AckRef ack) {
  bytes_ += entry.line.size();
  auto [it, inserted] = stream_index_.try_emplace(labels.get(), msg_->streams_size());
  if (inserted) {
    msg_->add_streams()->set_labels(*labels);
    held_labels_.push_back(labels);
  }
  logproto::EntryAdapter* e = msg_->mutable_streams(it->second)->add_entries();
  const common::SecondsNanos t = common::SplitUnixNanos(entry.timestamp_ns);
  e->mutable_timestamp()->set_seconds(t.seconds);
  e->mutable_timestamp()->set_nanos(t.nanos);
  e->set_line(std::move(entry.line));
  for (const common::Label& m : entry.metadata) {
    logproto::LabelPairAdapter* p = e->add_structuredmetadata();
    p->set_name(m.name);
    p->set_value(m.value);
  }
  acks_.push_back(ack);
}

std::string Batch::Encode() {
  raw_.clear();
  msg_->AppendToString(&raw_);
  std::string out;
  snappy::Compress(raw_.data(), raw_.size(), &out);
  return out;
}

}  // namespace skald::agent::client
