// Values, URLs and the factory: the parts of the contract that need no database.
#include "storage/backends.hpp"

using namespace tyto;
using namespace tyto::storage;
using namespace tyto::test;

TEST_CASE("Value conversions are lenient where the dialects differ", "[storage]") {
  CHECK(Value(1).as_bool());
  CHECK_FALSE(Value(0).as_bool());
  CHECK(Value("t").as_bool());
  CHECK_FALSE(Value("false").as_bool());
  CHECK(Value(true).as_int() == 1);
  CHECK(Value("42").as_int() == 42);
  CHECK(Value("-7").as_int() == -7);
  CHECK(Value(12.0).as_int() == 12);
  CHECK(Value("1.5").as_double() == 1.5);
  CHECK(Value(3).as_double() == 3.0);
  CHECK(Value(42).as_string() == "42");
  CHECK(Value(0.25).as_string() == "0.25");
  CHECK(Value(false).as_string() == "false");
  CHECK(Value("bytes").as_blob() == Blob{"bytes"});
  CHECK(Value(std::optional<int>()).is_null());
  CHECK(Value(std::optional<int>(5)) == Value(5));
}

TEST_CASE("Value conversions that would lose data throw DatabaseError", "[storage]") {
  CHECK_THROWS_AS(Value().as_int(), DatabaseError);
  CHECK_THROWS_AS(Value(nullptr).as_string(), DatabaseError);
  CHECK_THROWS_AS(Value(1.5).as_int(), DatabaseError);
  CHECK_THROWS_AS(Value("12abc").as_int(), DatabaseError);
  CHECK_THROWS_AS(Value("maybe").as_bool(), DatabaseError);
  CHECK_THROWS_AS(Value(Blob{"x"}).as_int(), DatabaseError);
  CHECK_THROWS_AS(Value(7).as_blob(), DatabaseError);
  CHECK_THROWS_WITH(Value().as_double(), "cannot read NULL as double");
}

TEST_CASE("mask_database_url hides PostgreSQL passwords and nothing else", "[storage]") {
  CHECK(mask_database_url("postgres://tyto:secret@db:5432/tyto") == "postgres://tyto:***@db:5432/tyto");
  CHECK(mask_database_url("postgresql://u:p@ss@host/db?sslmode=require") ==
        "postgresql://u:***@host/db?sslmode=require");
  CHECK(mask_database_url("postgres://host/db?user=u&password=secret&x=1") ==
        "postgres://host/db?user=u&password=***&x=1");
  CHECK(mask_database_url("postgres://tyto@db/tyto") == "postgres://tyto@db/tyto");
  CHECK(mask_database_url("sqlite:/var/lib/tyto/tyto.db") == "sqlite:/var/lib/tyto/tyto.db");
}

TEST_CASE("open_database rejects an unknown scheme as a validation error", "[storage]") {
  auto error = thrown_by<Error>([] { open_database({.url = "mysql://u:secret@host/db"}); });
  CHECK(error.code() == ErrorCode::kValidationFailed);
  CHECK_THROWS_AS(open_database({.url = "sqlite:"}), Error);
}

TEST_CASE("dialect_name names both dialects", "[storage]") {
  CHECK(dialect_name(Dialect::kSqlite) == "sqlite");
  CHECK(dialect_name(Dialect::kPostgres) == "postgres");
}
