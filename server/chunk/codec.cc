#include "server/chunk/codec.h"

#include <snappy.h>
#include <zstd.h>

namespace skald::server::chunk {
namespace {

struct ZstdContexts {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ZstdContexts() = default;
  ZstdContexts(const ZstdContexts&) = delete;
  ZstdContexts& operator=(const ZstdContexts&) = delete;
  ~ZstdContexts() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
};

ZstdContexts& Contexts() {
  thread_local ZstdContexts ctx;
  return ctx;
}

}  // namespace

common::Status CompressColumn(Codec codec, int level, std::string_view in, std::string* out,
                              std::string_view prefix) {
  switch (codec) {
    case Codec::kNone:
      out->append(in);
      return common::Status::OK();
    case Codec::kZstd: {
      size_t start = out->size();
      out->resize(start + ZSTD_compressBound(in.size()));
      ZSTD_CCtx* cctx = Contexts().cctx;
      size_t n = 0;
      if (prefix.empty()) {
        n = ZSTD_compressCCtx(cctx, out->data() + start, out->size() - start, in.data(), in.size(), level);
      } else {
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
        n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
        if (!ZSTD_isError(n)) n = ZSTD_CCtx_refPrefix(cctx, prefix.data(), prefix.size());
        if (!ZSTD_isError(n)) {
          n = ZSTD_compress2(cctx, out->data() + start, out->size() - start, in.data(), in.size());
        }
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
      }
      if (ZSTD_isError(n)) {
        out->resize(start);
        return common::Status::Internal(ZSTD_getErrorName(n), "zstd compress");
      }
      out->resize(start + n);
      return common::Status::OK();
    }
    case Codec::kSnappy: {
      size_t start = out->size();
      out->resize(start + snappy::MaxCompressedLength(in.size()));
      size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), out->data() + start, &n);
      out->resize(start + n);
      return common::Status::OK();
    }
  }
  return common::Status::InvalidArgument("unknown chunk codec");
}

common::Status DecompressColumn(Codec codec, std::string_view in, size_t raw_size,
                                std::string* out, std::string_view where, std::string_view prefix) {
  if (raw_size > kMaxColumnRawBytes) {
    return common::Status::Corruption("column raw size over limit", where);
  }
  out->resize(raw_size);
  switch (codec) {
    case Codec::kNone:
      if (in.size() != raw_size) return common::Status::Corruption("column size mismatch", where);
      if (raw_size > 0) out->assign(in);
      return common::Status::OK();
    case Codec::kZstd: {
      ZSTD_DCtx* dctx = Contexts().dctx;
      if (!prefix.empty()) {
        size_t r = ZSTD_DCtx_refPrefix(dctx, prefix.data(), prefix.size());
        if (ZSTD_isError(r)) return common::Status::Corruption("zstd column prefix", where);
      }
      size_t n = ZSTD_decompressDCtx(dctx, out->data(), raw_size, in.data(), in.size());
      if (!prefix.empty()) ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
      if (ZSTD_isError(n) || n != raw_size) {
        return common::Status::Corruption("zstd column does not decompress", where);
      }
      return common::Status::OK();
    }
    case Codec::kSnappy: {
      size_t len = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &len) || len != raw_size ||
          !snappy::RawUncompress(in.data(), in.size(), out->data())) {
        return common::Status::Corruption("snappy column does not decompress", where);
      }
      return common::Status::OK();
    }
  }
  return common::Status::Corruption("unknown chunk codec", where);
}

}  // namespace skald::server::chunk
