// The JSON schemas of the vision stages (modules/vision/src/schemas.cpp).
#pragma once

#include <nlohmann/json.hpp>

namespace tyto::vision::detail {

nlohmann::json box_schema();
nlohmann::json ocr_input_schema();
nlohmann::json ocr_output_schema();
nlohmann::json contrast_input_schema();
nlohmann::json contrast_output_schema();
nlohmann::json faces_input_schema();
nlohmann::json faces_output_schema();
nlohmann::json redact_input_schema();
nlohmann::json image_output_schema(const char* count_field);  // redact and overlay
nlohmann::json overlay_input_schema();
nlohmann::json detect_input_schema();
nlohmann::json detect_output_schema();

}  // namespace tyto::vision::detail
