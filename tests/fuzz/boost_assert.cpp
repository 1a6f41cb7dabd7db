// Boost's assertion handler in the fuzz build (BOOST_ENABLE_ASSERT_HANDLER): a failed BOOST_ASSERT aborts, so
// libFuzzer reports it, except one known false alarm.
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

// Boost 1.81's Beast asserts n >= 5 on reaching the last chunk again, but a client sending "0\r\n\r" in
// pieces gets there with 4 bytes, which the code handles (it asks for more); Beast fixed the assert in
// boostorg/beast#2861 (Boost 1.86). Release builds, Tyto's default, compile asserts out.
bool known_false_alarm(std::string_view expression, std::string_view file) {
  return expression == "n >= 5" && file.ends_with("boost/beast/http/impl/basic_parser.ipp");
}

}  // namespace

namespace boost {

void assertion_failed(char const* expression, char const* function, char const* file, long line) {
  if (known_false_alarm(expression, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expression);
  std::abort();
}

void assertion_failed_msg(char const* expression, char const* message, char const* function, char const* file,
                          long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expression, message);
  std::abort();
}

}  // namespace boost
