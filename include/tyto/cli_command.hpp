// A command of the `tyto` binary that a module or product adds, such as `tyto hash FILE…`.
//
// A component declares its commands through a static `commands()` (like its static `options()`), so they
// run without a server, a database or the configuration: they are offline tools over files. main.cpp's
// list of components decides which exist; a name that collides with a platform command or another
// component's is refused when the list is built.
#pragma once

#include <functional>
#include <iosfwd>
#include <span>
#include <string>

namespace tyto {

struct CliCommand {
  std::string name;      // the first word after `tyto`: "hash", "fingerprint"
  std::string synopsis;  // "hash [--json] FILE…", shown by `tyto help`
  std::string summary;   // one line, shown by `tyto help`
  // Runs with the words after the name. Returns the process's exit status: 0 success, 1 when some input
  // failed, 2 for a usage error (an unknown option, a missing argument).
  std::function<int(std::span<const std::string> args, std::ostream& out, std::ostream& err)> run;
};

}  // namespace tyto
