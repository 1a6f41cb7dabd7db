// The tyto binary. Modules and products are listed here explicitly, in dependency order, each
// constructed with its configuration; nothing registers itself behind the linker's back.
//
// Modules:  (the jobs issue adds `builtin`; vision, audio, scoring and fingerprint follow)
// Products: (accessibility, brand protection, live sessions, captures, music catalog follow)
#include "cli/cli.hpp"

int main(int argc, char** argv) { return tyto::cli::run(argc, argv); }
