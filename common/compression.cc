#include "common/compression.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <limits>
#include <memory>

namespace skald::common {
namespace {

// First output buffer size; grows by doubling up to the cap.
constexpr size_t kMinOutputChunk = 16 << 10;
// zlib's avail_in is 32-bit: feed larger inputs in slices of this size.
constexpr size_t kMaxZlibSlice = UINT_MAX;

enum class ZlibFormat : uint8_t { kGzip = 0, kRawDeflate = 1, kZlib = 2 };

const char* FormatName(ZlibFormat f) {
  switch (f) {
    case ZlibFormat::kGzip:
      return "gzip";
    case ZlibFormat::kRawDeflate:
      return "deflate";
    case ZlibFormat::kZlib:
      return "deflate (zlib)";
  }
  return "?";
}

int WindowBits(ZlibFormat f) {
  switch (f) {
    case ZlibFormat::kGzip:
      return 16 + MAX_WBITS;
    case ZlibFormat::kRawDeflate:
      return -MAX_WBITS;
    case ZlibFormat::kZlib:
      return MAX_WBITS;
  }
  return MAX_WBITS;
}

Status TooLargeStatus(size_t max) {
  return Status::TooLarge("request body too large: decompressed size exceeds " +
                          std::to_string(max) + " bytes");
}

// Makes room for more output in `out` beyond `produced`, never past one byte
// over `max` (that byte tells "exactly max" from "more than max").
// Returns the number of writable bytes at out->data() + produced.
size_t Grow(std::string* out, size_t produced, size_t max, size_t hint) {
  const size_t limit = max == std::numeric_limits<size_t>::max() ? max : max + 1;
  size_t want = std::max({kMinOutputChunk, produced * 2, hint});
  want = std::min(want, limit);
  if (want <= produced) want = produced + 1;  // only reached when produced == limit
  out->resize(want);
  return want - produced;
}

// RAII for a z_stream set up for inflation.
class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (initialized_) inflateEnd(&zs_);
  }
  bool Init(ZlibFormat f) {
    initialized_ = inflateInit2(&zs_, WindowBits(f)) == Z_OK;
    return initialized_;
  }
  z_stream* get() { return &zs_; }

 private:
  z_stream zs_{};
  bool initialized_ = false;
};

Status Inflate(std::string_view in, ZlibFormat format, size_t max, std::string* out) {
  Inflater inflater;
  if (!inflater.Init(format)) return Status::Internal("zlib: inflateInit2 failed");
  z_stream* zs = inflater.get();
  const char* name = FormatName(format);
  size_t consumed = 0;
  size_t produced = 0;
  out->clear();
  for (;;) {
    if (zs->avail_in == 0 && consumed < in.size()) {
      const size_t slice = std::min(in.size() - consumed, kMaxZlibSlice);
      zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
      zs->avail_in = static_cast<uInt>(slice);
      consumed += slice;
    }
    const size_t room = std::min(Grow(out, produced, max, in.size() * 4), kMaxZlibSlice);
    zs->next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs->avail_out = static_cast<uInt>(room);
    const int ret = inflate(zs, Z_NO_FLUSH);
    produced += room - zs->avail_out;
    if (produced > max) return TooLargeStatus(max);
    const bool input_left = zs->avail_in > 0 || consumed < in.size();
    if (ret == Z_STREAM_END) {
      // Go's gzip.Reader reads concatenated members; deflate ignores the rest.
      if (format != ZlibFormat::kGzip || !input_left) break;
      if (inflateReset(zs) != Z_OK) return Status::Internal("zlib: inflateReset failed");
      continue;
    }
    if (ret == Z_BUF_ERROR || (ret == Z_OK && !input_left && zs->avail_out > 0)) {
      if (!input_left) {
        return Status::InvalidArgument(std::string(name) + ": body is truncated (unexpected EOF)");
      }
      continue;  // output was full; Grow makes room
    }
    if (ret != Z_OK) {
      return Status::InvalidArgument(std::string(name) + ": body is corrupt: " +
                                     (zs->msg != nullptr ? zs->msg : "invalid data"));
    }
  }
  out->resize(produced);
  return Status::OK();
}

// RFC 1950 header check: CM = 8, CINFO <= 7, FCHECK makes it a multiple of 31.
bool LooksLikeZlib(std::string_view in) {
  if (in.size() < 2) return false;
  const auto b0 = static_cast<unsigned char>(in[0]);
  const auto b1 = static_cast<unsigned char>(in[1]);
  return (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
}

Status InflateDeflate(std::string_view in, size_t max, std::string* out) {
  if (LooksLikeZlib(in)) {
    Status s = Inflate(in, ZlibFormat::kZlib, max, out);
    if (s.ok() || s.code() == StatusCode::kTooLarge) return s;
    // A raw stream can start with bytes that pass the zlib check; try raw.
  }
  return Inflate(in, ZlibFormat::kRawDeflate, max, out);
}

// RAII for a zstd decompression context.
struct ZstdDctxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

Status DecompressZstd(std::string_view in, size_t max, std::string* out) {
  std::unique_ptr<ZSTD_DCtx, ZstdDctxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::Internal("zstd: cannot create a decompression context");
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  size_t produced = 0;
  size_t last = 1;  // non-zero: a frame is incomplete
  out->clear();
  for (;;) {
    const size_t room = Grow(out, produced, max, in.size() * 4);
    ZSTD_outBuffer ob{out->data() + produced, room, 0};
    last = ZSTD_decompressStream(dctx.get(), &ob, &ib);
    if (ZSTD_isError(last)) {
      return Status::InvalidArgument(std::string("zstd: body is corrupt: ") +
                                     ZSTD_getErrorName(last));
    }
    produced += ob.pos;
    if (produced > max) return TooLargeStatus(max);
    if (ib.pos == ib.size && ob.pos < room) break;
  }
  if (last != 0) return Status::InvalidArgument("zstd: body is truncated (unexpected EOF)");
  out->resize(produced);
  return Status::OK();
}

}  // namespace

bool IsIdentityContentEncoding(std::string_view encoding) {
  return encoding.empty() || encoding == "snappy";
}

Result<std::string> DecodeContentEncoding(std::string_view encoding, std::string_view body,
                                          size_t max_decompressed_bytes) {
  std::string out;
  if (IsIdentityContentEncoding(encoding)) {
    out.assign(body);
    return out;
  }
  Status s;
  if (encoding == "gzip") {
    s = Inflate(body, ZlibFormat::kGzip, max_decompressed_bytes, &out);
  } else if (encoding == "deflate") {
    s = InflateDeflate(body, max_decompressed_bytes, &out);
  } else if (encoding == "zstd") {
    s = DecompressZstd(body, max_decompressed_bytes, &out);
  } else {
    std::string msg = "Content-Encoding \"";
    msg.append(encoding);
    msg += "\" not supported";
    return Status::InvalidArgument(msg);
  }
  if (!s.ok()) return s;
  return out;
}

namespace {

std::string Deflate(std::string_view data, int window_bits, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);  // one call suffices: the output holds deflateBound bytes
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

std::string GzipCompress(std::string_view data, int level) {
  return Deflate(data, 16 + MAX_WBITS, level);
}

std::string DeflateCompress(std::string_view data, bool zlib_wrapped) {
  return Deflate(data, zlib_wrapped ? MAX_WBITS : -MAX_WBITS, Z_DEFAULT_COMPRESSION);
}

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) return {};
  out.resize(n);
  return out;
}

}  // namespace skald::common
