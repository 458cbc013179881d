#include "server/ingest/recovery.h"

#include "common/coding.h"
#include "common/crc32c.h"

namespace skald::server::ingest {

using common::Status;

namespace {
constexpr std::string_view kMagic = "SKFM1\n";

std::string DirOf(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? "." : path.substr(0, pos);
}
}  // namespace

std::string MarkKey(std::string_view tenant, std::string_view labels) {
  std::string k;
  k.reserve(tenant.size() + labels.size() + 1);
  k.append(tenant);
  k.push_back('\0');
  k.append(labels);
  return k;
}

common::Result<FlushMarks> LoadFlushMarks(common::Env* env, const std::string& path) {
  FlushMarks marks;
  if (!env->FileExists(path)) return marks;
  auto size = env->GetFileSize(path);
  if (!size.ok()) return size.status();
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  std::string scratch(*size, '\0');
  std::string_view data;
  SKALD_RETURN_IF_ERROR((*file)->Read(0, *size, &data, scratch.data()));
  const Status bad = Status::Corruption("flush marks file is corrupt", path);
  if (data.size() < kMagic.size() + 4 || data.substr(0, kMagic.size()) != kMagic) return bad;
  const uint32_t crc = common::DecodeFixed32(data.data() + data.size() - 4);
  std::string_view body = data.substr(0, data.size() - 4);
  if (common::crc32c::Value(body.data(), body.size()) != crc) return bad;
  body.remove_prefix(kMagic.size());
  uint64_t count = 0;
  if (!common::GetVarint64(&body, &count)) return bad;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key;
    FlushMark m;
    if (!common::GetLengthPrefixed(&body, &key) || !common::GetVarint64(&body, &m.seq) ||
        !common::GetVarint64(&body, &m.segment)) {
      return bad;
    }
    marks[std::string(key)] = m;
  }
  return marks;
}

Status SaveFlushMarks(common::Env* env, const std::string& path, const FlushMarks& marks) {
  std::string data(kMagic);
  common::PutVarint64(&data, marks.size());
  for (const auto& [key, m] : marks) {
    common::PutLengthPrefixed(&data, key);
    common::PutVarint64(&data, m.seq);
    common::PutVarint64(&data, m.segment);
  }
  common::PutFixed32(&data, common::crc32c::Value(data.data(), data.size()));
  const std::string tmp = path + ".tmp";
  {
    auto file = env->NewWritableFile(tmp);
    if (!file.ok()) return file.status();
    SKALD_RETURN_IF_ERROR((*file)->Append(data));
    SKALD_RETURN_IF_ERROR((*file)->Sync());
    SKALD_RETURN_IF_ERROR((*file)->Close());
  }
  SKALD_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  return env->SyncDir(DirOf(path));
}

}  // namespace skald::server::ingest
