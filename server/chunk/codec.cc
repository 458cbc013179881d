#include "server/chunk/codec.h"

#include <cstring>

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

common::Status CompressSegments(int level, std::span<const SegmentParts> segments, std::string* out,
                                std::vector<uint32_t>* stored_ends) {
  size_t total = 0;
  for (const SegmentParts& seg : segments) total += seg.lines.size() + seg.metadata.size();
  const size_t start = out->size();
  // A flush ends a zstd block: a few header bytes per segment over the bound.
  out->resize(start + ZSTD_compressBound(total) + 16 * segments.size() + 64);
  ZSTD_CCtx* cctx = Contexts().cctx;
  size_t r = ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setPledgedSrcSize(cctx, total);
  ZSTD_outBuffer o{out->data() + start, out->size() - start, 0};
  stored_ends->clear();
  for (size_t k = 0; k < segments.size() && !ZSTD_isError(r); ++k) {
    const std::string_view parts[2] = {segments[k].lines, segments[k].metadata};
    for (int p = 0; p < 2 && !ZSTD_isError(r); ++p) {
      const bool ends = p == 1;
      const ZSTD_EndDirective mode = !ends ? ZSTD_e_continue : k + 1 == segments.size() ? ZSTD_e_end : ZSTD_e_flush;
      ZSTD_inBuffer in{parts[p].data(), parts[p].size(), 0};
      // Until the input is taken and, when ending the segment, all of it is out.
      do {
        r = ZSTD_compressStream2(cctx, &o, &in, mode);
      } while (!ZSTD_isError(r) && (in.pos < in.size || (ends && r != 0)) && o.pos < o.size);
      if (!ZSTD_isError(r) && (in.pos < in.size || (ends && r != 0))) r = static_cast<size_t>(-1);
    }
    stored_ends->push_back(static_cast<uint32_t>(o.pos));
  }
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  if (ZSTD_isError(r)) {
    out->resize(start);
    return common::Status::Internal(ZSTD_getErrorName(r), "zstd compress segments");
  }
  out->resize(start + o.pos);
  return common::Status::OK();
}

common::Status DecompressColumn(Codec codec, std::string_view in, size_t raw_size,
                                std::string* out, std::string_view where, std::string_view prefix) {
  if (raw_size > kMaxColumnRawBytes) {
    return common::Status::Corruption("column raw size over limit", where);
  }
  out->resize(raw_size);
  return DecompressColumnTo(codec, in, raw_size, out->data(), where, prefix);
}

common::Status DecompressColumnTo(Codec codec, std::string_view in, size_t raw_size, char* out,
                                  std::string_view where, std::string_view prefix) {
  if (raw_size > kMaxColumnRawBytes) {
    return common::Status::Corruption("column raw size over limit", where);
  }
  switch (codec) {
    case Codec::kNone:
      if (in.size() != raw_size) return common::Status::Corruption("column size mismatch", where);
      if (raw_size > 0) std::memcpy(out, in.data(), raw_size);
      return common::Status::OK();
    case Codec::kZstd: {
      ZSTD_DCtx* dctx = Contexts().dctx;
      if (!prefix.empty()) {
        size_t r = ZSTD_DCtx_refPrefix(dctx, prefix.data(), prefix.size());
        if (ZSTD_isError(r)) return common::Status::Corruption("zstd column prefix", where);
      }
      size_t n = ZSTD_decompressDCtx(dctx, out, raw_size, in.data(), in.size());
      if (!prefix.empty()) ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
      if (ZSTD_isError(n) || n != raw_size) {
        return common::Status::Corruption("zstd column does not decompress", where);
      }
      return common::Status::OK();
    }
    case Codec::kSnappy: {
      size_t len = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &len) || len != raw_size ||
          !snappy::RawUncompress(in.data(), in.size(), out)) {
        return common::Status::Corruption("snappy column does not decompress", where);
      }
      return common::Status::OK();
    }
  }
  return common::Status::Corruption("unknown chunk codec", where);
}

}  // namespace skald::server::chunk
