// `tyto` with the example product: main.cpp's list plus one line, as a real product adds itself.
#include "cli/cli.hpp"
#include "example_product.hpp"
#include "tyto/modules/builtin.hpp"

int main(int argc, char** argv) {
  tyto::cli::Components components;
  components.module<tyto::modules::BuiltinModule>();
  components.product<tyto::products::ExampleProduct>();
  return tyto::cli::run(argc, argv, components);
}
