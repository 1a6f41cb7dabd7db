// The template of media_samples.hpp.
#pragma once

#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

#include <optional>

namespace tyto::test::media {

template <typename F>
tyto::Error error_of(F&& f) {
  std::optional<tyto::Error> caught;
  try {
    f();
  } catch (const tyto::Error& e) {
    caught = e;
  }
  if (!caught) FAIL("no tyto::Error was thrown");
  INFO(caught->what() << " " << caught->details().dump());
  return *caught;
}

}  // namespace tyto::test::media
