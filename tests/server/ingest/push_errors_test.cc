#include "server/ingest/push_errors.h"

#include <doctest/doctest.h>

using skald::server::ingest::DiscardCounts;
using skald::server::ingest::PushErrors;

TEST_CASE("push errors print a single error without a prefix") {
  PushErrors e;
  e.Add("boom");
  CHECK(e.Message() == "boom");
}

TEST_CASE("push errors group repeated messages with their count") {
  PushErrors e;
  for (int i = 0; i < 100; ++i) e.Add("too long");
  CHECK(e.Message() == "100 errors like: too long");
}

TEST_CASE("push errors keep first-seen order across groups") {
  PushErrors e;
  e.Add("b");
  e.Add("a");
  e.Add("b");
  CHECK(e.Message() == "2 errors like: b; 1 errors like: a");
  CHECK(e.total() == 3);
}

TEST_CASE("push errors merge adds counts") {
  PushErrors a, b;
  a.Add("x");
  b.Add("x");
  b.Add("y");
  a.Merge(b);
  CHECK(a.Message() == "2 errors like: x; 1 errors like: y");
}

TEST_CASE("discard counts accumulate per reason") {
  DiscardCounts d;
  d.Add("r", 1, 10);
  d.Add("r", 2, 5);
  DiscardCounts o;
  o.Add("s", 1, 1);
  d.Merge(o);
  CHECK(d.Lines("r") == 3);
  CHECK(d.Bytes("r") == 15);
  CHECK(d.Lines("s") == 1);
  CHECK(d.Lines("missing") == 0);
}
