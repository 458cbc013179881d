#include "server/store/chunk_store.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "common/mem_env.h"
#include "common/time.h"
#include "tests/server/store/store_test_util.h"

using namespace skald::common;
using namespace skald::server::store;
using namespace skald::server::store::testing;

namespace {

constexpr int64_t kDay = 20000;  // 2024-10-04

// An index on disk (SQLite needs a real file) and chunk files in a MemEnv.
struct Fixture {
  TempDir dir;
  MemEnv env;
  std::unique_ptr<Index> index = OpenIndex(dir);
  std::unique_ptr<ChunkStore> store;
  uint64_t stream = 0;

  explicit Fixture(uint64_t max_file_bytes = 1 << 20) {
    Reopen(max_file_bytes);
    stream = index->GetOrCreateStream("t", L(R"({app="a"})"), 0).value();
  }
  void Reopen(uint64_t max_file_bytes = 1 << 20) {
    store.reset();
    ChunkStoreOptions o;
    o.root = "/data/chunks";
    o.env = &env;
    o.max_file_bytes = max_file_bytes;
    auto s = ChunkStore::Open(o, index.get());
    REQUIRE(s.ok());
    store = std::move(s).value();
  }
  ChunkRef Write(std::string_view bytes, int64_t day = kDay, const char* tenant = "t") {
    ChunkMeta meta{10, 20, 3, bytes.size() * 2};
    auto r = store->Write(tenant, stream, day, bytes, meta);
    REQUIRE(r.ok());
    return *r;
  }
  std::string Path(const ChunkRef& r) { return store->PathOf(r.file_id).value(); }
};

}  // namespace

TEST_CASE("chunk store day names are UTC dates") {
  CHECK(DayName(0) == "1970-01-01");
  CHECK(DayName(kDay) == "2024-10-04");
  CHECK(DayOf(0) == 0);
  CHECK(DayOf(kNanosPerDay - 1) == 0);
  CHECK(DayOf(kNanosPerDay) == 1);
  CHECK(DayOf(-1) == -1);
}

TEST_CASE("chunk store writes and reads back a chunk") {
  Fixture f;
  ChunkRef r = f.Write("hello chunk");
  CHECK(r.id != 0);
  CHECK(r.offset == 0);
  CHECK(r.length == 11);
  CHECK(r.compressed_bytes == 11);
  CHECK(r.raw_bytes == 22);
  CHECK(r.entries == 3);
  CHECK(f.Path(r) == "/data/chunks/t/2024-10-04/000001.chunks");
  auto got = f.store->Read(r);
  REQUIRE(got.ok());
  CHECK(*got == "hello chunk");
}

TEST_CASE("chunk store appends chunks of the same day to one file") {
  Fixture f;
  ChunkRef a = f.Write("aaaa");
  ChunkRef b = f.Write("bbbbbb");
  CHECK(a.file_id == b.file_id);
  CHECK(b.offset == 4);
  CHECK(*f.store->Read(b) == "bbbbbb");
  CHECK(*f.store->Read(a) == "aaaa");
  ChunkRef c = f.Write("cc", kDay + 1);
  CHECK(c.file_id != a.file_id);
  CHECK(f.Path(c) == "/data/chunks/t/2024-10-05/000001.chunks");
}

TEST_CASE("chunk store reads a byte range of one chunk, not its neighbours") {
  Fixture f;
  ChunkRef a = f.Write("aaaa");
  ChunkRef b = f.Write("0123456789");
  CHECK(*f.store->ReadRange(b, 0, 10) == "0123456789");
  CHECK(*f.store->ReadRange(b, 3, 4) == "3456");
  CHECK(*f.store->ReadRange(b, 10, 0) == "");
  CHECK(*f.store->ReadRange(a, 2, 2) == "aa");
  CHECK(f.store->ReadRange(b, 8, 3).status().code() == skald::common::StatusCode::kInvalidArgument);
  CHECK(!f.store->ReadRange(b, 11, 0).ok());
  CHECK(!f.store->ReadRange(b, 1, UINT64_MAX).ok());
}

TEST_CASE("chunk store indexes what it writes") {
  Fixture f;
  ChunkRef a = f.Write("aaaa");
  auto chunks = f.index->ChunksFor("t", {f.stream}, INT64_MIN, INT64_MAX);
  REQUIRE(chunks.ok());
  REQUIRE(chunks->size() == 1);
  CHECK((*chunks)[0] == a);
}

TEST_CASE("chunk store rotates a file at the size limit") {
  Fixture f(/*max_file_bytes=*/10);
  ChunkRef a = f.Write("123456");
  ChunkRef b = f.Write("1234");                  // fits exactly: 10 bytes
  ChunkRef c = f.Write("x");                     // would be 11: next file
  ChunkRef big = f.Write(std::string(50, 'z'));  // larger than a file: its own file
  CHECK(a.file_id == b.file_id);
  CHECK(c.file_id != b.file_id);
  CHECK(c.offset == 0);
  CHECK(f.Path(c) == "/data/chunks/t/2024-10-04/000002.chunks");
  CHECK(big.file_id != c.file_id);
  CHECK(*f.store->Read(big) == std::string(50, 'z'));
  CHECK(*f.store->Read(b) == "1234");
}

TEST_CASE("chunk store WriteMany syncs once per file and keeps input order") {
  Fixture f;
  uint64_t syncs = f.env.SyncCount();
  std::vector<PendingChunk> batch = {
      {f.stream, kDay, "one", {1, 2, 1, 3}},
      {f.stream, kDay + 1, "two", {3, 4, 1, 3}},
      {f.stream, kDay, "three", {5, 6, 1, 5}},
  };
  auto refs = f.store->WriteMany("t", batch);
  REQUIRE(refs.ok());
  REQUIRE(refs->size() == 3);
  CHECK(f.env.SyncCount() - syncs == 2);
  CHECK(*f.store->Read((*refs)[0]) == "one");
  CHECK(*f.store->Read((*refs)[1]) == "two");
  CHECK(*f.store->Read((*refs)[2]) == "three");
  CHECK((*refs)[2].offset == 3);
}

TEST_CASE("chunk store rejects tenants that are not safe directory names") {
  Fixture f;
  for (const char* bad : {"", ".", "..", "a/b"}) {
    auto r = f.store->Write(bad, f.stream, kDay, "x", {});
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("chunk store indexes nothing when the stream belongs to another tenant") {
  Fixture f;
  auto r = f.store->Write("other", f.stream, kDay, "x", {});
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(f.index->ChunksFor("other", {f.stream}, INT64_MIN, INT64_MAX)->empty());
}

TEST_CASE("chunk store Recover truncates bytes that were never indexed") {
  Fixture f;
  ChunkRef a = f.Write("indexed");
  std::string path = f.Path(a);
  {
    // A crash between fsync and the index commit leaves unindexed bytes.
    auto w = f.env.NewAppendableFile(path);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append("garbage-after-crash").ok());
    REQUIRE((*w)->Sync().ok());
  }
  f.Reopen();
  CHECK(f.store->last_recovery().files_truncated == 1);
  CHECK(f.store->last_recovery().bytes_truncated == 19);
  CHECK(*f.env.GetFileSize(path) == 7);
  CHECK(*f.store->Read(a) == "indexed");
  // New chunks continue right after the last indexed one.
  ChunkRef b = f.Write("next");
  CHECK(b.file_id == a.file_id);
  CHECK(b.offset == 7);
}

TEST_CASE("chunk store survives a simulated crash with every indexed chunk readable") {
  Fixture f;
  ChunkRef a = f.Write("durable-1");
  ChunkRef b = f.Write("durable-2");
  f.store.reset();
  f.env.SimulateCrash();
  f.Reopen();
  CHECK(*f.store->Read(a) == "durable-1");
  CHECK(*f.store->Read(b) == "durable-2");
  CHECK(f.store->last_recovery().files_truncated == 0);
}

TEST_CASE("chunk store Recover removes registered files without chunks and unknown files") {
  Fixture f;
  ChunkRef a = f.Write("a");
  // A file registered but never given an indexed chunk (crash after AddFile).
  auto id = f.index->AddFile("t", kDay + 3, 1, "t/2024-10-07/000001.chunks");
  REQUIRE(id.ok());
  REQUIRE(f.env.CreateDirs("/data/chunks/t/2024-10-07").ok());
  { REQUIRE(f.env.NewWritableFile("/data/chunks/t/2024-10-07/000001.chunks").ok()); }
  // A stray file the index never heard of, in a known day directory.
  { REQUIRE(f.env.NewWritableFile("/data/chunks/t/2024-10-04/000009.chunks").ok()); }
  f.Reopen();
  CHECK(f.store->last_recovery().files_removed == 2);
  CHECK_FALSE(f.env.FileExists("/data/chunks/t/2024-10-07/000001.chunks"));
  CHECK_FALSE(f.env.FileExists("/data/chunks/t/2024-10-04/000009.chunks"));
  CHECK(f.index->ListFiles()->size() == 1);
  CHECK(*f.store->Read(a) == "a");
}

TEST_CASE("chunk store read of a short file is Corruption naming file and offset") {
  Fixture f;
  f.Write("first");
  ChunkRef b = f.Write("second");
  REQUIRE(f.env.Truncate(f.Path(b), 8).ok());
  auto r = f.store->Read(b);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCorruption);
  CHECK(r.status().ToString().find("000001.chunks@5") != std::string::npos);
}

TEST_CASE("chunk store read with a wrong length is Corruption") {
  Fixture f;
  ChunkRef a = f.Write("abc");
  a.length = 100;
  auto r = f.store->Read(a);
  CHECK(r.status().code() == StatusCode::kCorruption);
}

TEST_CASE("chunk store read of flipped bytes fails the checksum") {
  Fixture f;
  ChunkRef a = f.Write("checksummed");
  REQUIRE(f.env.CorruptByte(f.Path(a), 3).ok());
  auto r = f.store->Read(a);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCorruption);
  CHECK(r.status().message().find("checksum") != std::string::npos);
}

TEST_CASE("chunk store read of an unknown file is NotFound") {
  Fixture f;
  ChunkRef a = f.Write("x");
  a.file_id += 100;
  CHECK(f.store->Read(a).status().code() == StatusCode::kNotFound);
}

TEST_CASE("chunk store DeleteFiles removes rows, files and the empty day directory") {
  Fixture f;
  ChunkRef a = f.Write("a");
  ChunkRef b = f.Write("b", kDay + 1);
  std::string path = f.Path(a);
  REQUIRE(f.store->DeleteFiles({a.file_id}).ok());
  CHECK_FALSE(f.env.FileExists(path));
  CHECK_FALSE(f.env.FileExists("/data/chunks/t/2024-10-04"));
  CHECK(f.store->Read(a).status().code() == StatusCode::kNotFound);
  CHECK(*f.store->Read(b) == "b");
  auto chunks = f.index->ChunksFor("t", {f.stream}, INT64_MIN, INT64_MAX);
  REQUIRE(chunks.ok());
  CHECK(chunks->size() == 1);
}

TEST_CASE("chunk store on the real file system truncates with ftruncate") {
  TempDir dir;
  auto index = OpenIndex(dir);
  uint64_t stream = index->GetOrCreateStream("t", L(R"({app="a"})"), 0).value();
  ChunkStoreOptions o;
  o.root = dir.File("chunks");
  ChunkRef a;
  {
    auto store = ChunkStore::Open(o, index.get());
    REQUIRE(store.ok());
    auto r = (*store)->Write("t", stream, kDay, "posix-bytes", {});
    REQUIRE(r.ok());
    a = *r;
  }
  std::string path = dir.File("chunks/t/2024-10-04/000001.chunks");
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "tail garbage";
  }
  auto store = ChunkStore::Open(o, index.get());
  REQUIRE(store.ok());
  CHECK((*store)->last_recovery().files_truncated == 1);
  CHECK(std::filesystem::file_size(path) == 11);
  CHECK(*(*store)->Read(a) == "posix-bytes");
}
