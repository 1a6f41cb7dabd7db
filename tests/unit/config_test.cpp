#include "tyto/core/config.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using tyto::Config;
using tyto::ConfigError;
using tyto::load_config;

namespace {

tyto::GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    if (auto it = vars.find(std::string(name)); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

Config load(std::vector<std::string> flags, std::map<std::string, std::string> env = {}) {
  return load_config(flags, env_of(std::move(env)));
}

}  // namespace

TEST_CASE("Config uses built-in defaults when nothing is set", "[config]") {
  tyto::test::TempDir dir;  // no config/tyto.json in sight
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  Config c = load({});
  std::filesystem::current_path(cwd);
  CHECK(c.http.host == "127.0.0.1");
  CHECK(c.http.port == 8080);
  CHECK(c.data_dir == "./data");
  CHECK(c.database.url == "sqlite:./data/tyto.db");
  CHECK(c.config_file.empty());
}

TEST_CASE("Config precedence is flag over environment over file over default", "[config]") {
  tyto::test::TempDir dir;
  const auto file = dir.path() / "tyto.json";
  tyto::test::write_file(file, R"({
    // comments are allowed
    "listen": "10.0.0.1:7000",
    "data_dir": "/from/file",
    "log": {"level": "debug"},
    "http": {"max_body_bytes": 4096, "cors": {"allowed_origins": ["https://a.example"]}}
  })");

  SECTION("file beats default") {
    Config c = load({"--config", file.string()});
    CHECK(c.http.host == "10.0.0.1");
    CHECK(c.http.port == 7000);
    CHECK(c.data_dir == "/from/file");
    CHECK(c.log_level == "debug");
    CHECK(c.http.max_body_bytes == 4096);
    CHECK(c.http.cors_allowed_origins == std::vector<std::string>{"https://a.example"});
    CHECK(c.database.url == "sqlite:/from/file/tyto.db");
  }
  SECTION("environment beats file") {
    Config c = load({"--config", file.string()},
                    {{"TYTO_LISTEN", "127.0.0.2:7001"}, {"TYTO_HTTP_CORS_ALLOWED_ORIGINS", "https://b, https://c"}});
    CHECK(c.http.host == "127.0.0.2");
    CHECK(c.http.port == 7001);
    CHECK(c.data_dir == "/from/file");
    CHECK(c.http.cors_allowed_origins == std::vector<std::string>{"https://b", "https://c"});
  }
  SECTION("flag beats environment") {
    Config c = load({"--config", file.string(), "--listen", "127.0.0.3:7002", "--data-dir=/from/flag"},
                    {{"TYTO_LISTEN", "127.0.0.2:7001"}, {"TYTO_DATA_DIR", "/from/env"}});
    CHECK(c.http.host == "127.0.0.3");
    CHECK(c.http.port == 7002);
    CHECK(c.data_dir == "/from/flag");
  }
  SECTION("TYTO_CONFIG names the file") {
    Config c = load({}, {{"TYTO_CONFIG", file.string()}});
    CHECK(c.config_file == file.string());
    CHECK(c.http.port == 7000);
  }
  SECTION("an explicit database URL is kept") {
    Config c = load({"--config", file.string(), "--database", "postgres://u:p@h/db"});
    CHECK(c.database.url == "postgres://u:p@h/db");
  }
}

TEST_CASE("Config rejects unknown options and bad values with a message naming them", "[config]") {
  tyto::test::TempDir dir;
  CHECK_THROWS_WITH(load({"--no-such-flag", "1"}), Catch::Contains("unknown option --no-such-flag"));
  CHECK_THROWS_WITH(load({"--listen"}), Catch::Contains("needs a value"));
  CHECK_THROWS_WITH(load({"--listen", "nonsense"}), Catch::Contains("HOST:PORT"));
  CHECK_THROWS_WITH(load({"--listen", "127.0.0.1:70000"}), Catch::Contains("port"));
  CHECK_THROWS_WITH(load({"--log-level", "loud"}), Catch::Contains("log.level"));
  CHECK_THROWS_WITH(load({"--http-io-threads", "many"}), Catch::Contains("integer"));
  CHECK_THROWS_WITH(load({}, {{"TYTO_HTTP_ACCESS_LOG", "maybe"}}), Catch::Contains("TYTO_HTTP_ACCESS_LOG"));
  CHECK_THROWS_WITH(load({"--config", (dir.path() / "missing.json").string()}), Catch::Contains("does not exist"));

  const auto bad_json = dir.path() / "bad.json";
  tyto::test::write_file(bad_json, "{\"listen\": ");
  CHECK_THROWS_WITH(load({"--config", bad_json.string()}), Catch::Contains("not valid JSON"));
  const auto unknown_key = dir.path() / "unknown.json";
  tyto::test::write_file(unknown_key, R"({"http": {"max_bodyy_bytes": 1}})");
  CHECK_THROWS_WITH(load({"--config", unknown_key.string()}), Catch::Contains("http.max_bodyy_bytes"));
}

TEST_CASE("Config parses IPv6 listen addresses", "[config]") {
  auto [host, port] = tyto::parse_listen_address("[::1]:9090");
  CHECK(host == "::1");
  CHECK(port == 9090);
  CHECK_THROWS_AS(tyto::parse_listen_address("[::1]9090"), ConfigError);
}

TEST_CASE("tyto config output masks secrets", "[config]") {
  Config c = load({"--database", "postgres://tyto:hunter2@db:5432/tyto"});
  const auto masked = tyto::config_to_json(c);
  CHECK(masked["database"]["url"] == "postgres://tyto:***@db:5432/tyto");
  CHECK(masked.dump().find("hunter2") == std::string::npos);
  CHECK(tyto::config_to_json(c, false)["database"]["url"] == "postgres://tyto:hunter2@db:5432/tyto");
}

TEST_CASE("Every option has a distinct key, environment variable and flag", "[config]") {
  std::set<std::string_view> keys, envs, flags;
  for (const auto& o : tyto::config_options()) {
    CHECK(keys.insert(o.key).second);
    CHECK(envs.insert(o.env).second);
    CHECK(flags.insert(o.flag).second);
    CHECK(o.env.starts_with("TYTO_"));
    CHECK(o.flag.starts_with("--"));
  }
}

TEST_CASE("docs/configuration.md documents every option", "[config][docs]") {
  const auto doc = tyto::test::read_file(tyto::test::source_dir() / "docs" / "configuration.md");
  for (const auto& o : tyto::config_options()) {
    INFO(o.key);
    CHECK(doc.find("`" + std::string(o.key) + "`") != std::string::npos);
    CHECK(doc.find("`" + std::string(o.env) + "`") != std::string::npos);
  }
}
