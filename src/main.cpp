// The tyto binary. Modules and products are listed here explicitly, in dependency order; each is
// constructed with its configuration when the server starts, and nothing registers itself behind the
// linker's back. A product's line is guarded by TYTO_WITH_<NAME>, which its CMake option
// (TYTO_PRODUCT_<NAME>, default ON; see tyto_add_product) sets, so a build can leave a product out.
#include "cli/cli.hpp"
#include "tyto/modules/audio.hpp"
#include "tyto/modules/browser.hpp"
#include "tyto/modules/builtin.hpp"
#include "tyto/modules/fingerprint.hpp"
#include "tyto/modules/scoring.hpp"
#include "tyto/modules/vision.hpp"

#if TYTO_WITH_ANTIVIRUS
#include "tyto/modules/antivirus.hpp"
#endif
#if TYTO_WITH_ACCESSIBILITY
#include "products/accessibility/accessibility.hpp"
#endif
#if TYTO_WITH_BRAND_PROTECTION
#include "products/brand_protection/brand_protection.hpp"
#endif
#if TYTO_WITH_LIVE
#include "products/live/live.hpp"
#endif
#if TYTO_WITH_CAPTURES
#include "products/captures/captures.hpp"
#endif
#if TYTO_WITH_MUSIC
#include "products/music/music.hpp"
#endif

int main(int argc, char** argv) {
  tyto::cli::Components components;
  components.module<tyto::modules::BuiltinModule>();
  components.module<tyto::modules::FingerprintModule>();
  components.module<tyto::modules::ScoringModule>();
  components.module<tyto::modules::VisionModule>();
  components.module<tyto::modules::BrowserModule>();
  components.module<tyto::modules::AudioModule>();
#if TYTO_WITH_ANTIVIRUS
  components.module<tyto::modules::AntivirusModule>();
#endif
#if TYTO_WITH_ACCESSIBILITY
  components.product<tyto::products::Accessibility>();
#endif
#if TYTO_WITH_BRAND_PROTECTION
  components.product<tyto::products::BrandProtection>();
#endif
#if TYTO_WITH_LIVE
  components.product<tyto::products::Live>();
#endif
#if TYTO_WITH_CAPTURES
  components.product<tyto::products::Captures>();
#endif
#if TYTO_WITH_MUSIC
  components.product<tyto::products::MusicCatalog>();
#endif
  return tyto::cli::run(argc, argv, components);
}
