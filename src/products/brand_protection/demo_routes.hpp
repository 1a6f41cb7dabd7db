// Routes of the demo marketplace under /api/v1/brands/demo-marketplace (demo_routes.cpp).
#pragma once

namespace tyto::http {
class Router;
}

namespace tyto::products::brand_protection {

void install_demo_routes(http::Router& router);

}  // namespace tyto::products::brand_protection
