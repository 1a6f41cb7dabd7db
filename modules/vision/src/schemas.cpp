#include "detail/schemas.hpp"

namespace tyto::vision::detail {
namespace {

using nlohmann::json;

json integer(int minimum, int maximum) { return {{"type", "integer"}, {"minimum", minimum}, {"maximum", maximum}}; }
json number(double minimum, double maximum) { return {{"type", "number"}, {"minimum", minimum}, {"maximum", maximum}}; }
json string_type() { return {{"type", "string"}}; }
json array_of(json item, int max_items) {
  return {{"type", "array"}, {"items", std::move(item)}, {"maxItems", max_items}};
}
json object_id() { return {{"type", "string"}, {"minLength", 1}}; }
json colour() { return {{"type", "string"}, {"pattern", "^#[0-9a-fA-F]{6}$"}}; }

json word_schema() {
  return {{"type", "object"},
          {"properties", {{"text", string_type()}, {"box", box_schema()}, {"confidence", number(0, 100)}}}};
}

json line_schema() {
  return {{"type", "object"},
          {"properties",
           {{"text", string_type()},
            {"box", box_schema()},
            {"confidence", number(0, 100)},
            {"words", array_of(word_schema(), 100000)}}}};
}

// A box with an optional label and colour, as overlay draws it.
json labelled_box_schema() {
  json s = box_schema();
  s["properties"]["label"] = {{"type", "string"}, {"maxLength", 200}};
  s["properties"]["colour"] = colour();
  return s;
}

}  // namespace

json box_schema() {
  return {{"type", "object"},
          {"required", {"x", "y", "width", "height"}},
          {"properties",
           {{"x", integer(-1'000'000, 1'000'000)},
            {"y", integer(-1'000'000, 1'000'000)},
            {"width", integer(0, 1'000'000)},
            {"height", integer(0, 1'000'000)}}}};
}

json ocr_input_schema() {
  return {{"type", "object"},
          {"required", {"object_id"}},
          {"properties",
           {{"object_id", object_id()},
            {"page_segmentation", integer(0, 13)},
            {"min_confidence", number(0, 100)},
            {"upscale", number(0.25, 8)},
            {"clahe", {{"type", "boolean"}, {"default", false}}},
            {"denoise", {{"type", "boolean"}, {"default", false}}}}}};
}

json ocr_output_schema() {
  return {{"type", "object"},
          {"required", {"object_id", "width", "height", "text", "word_count", "lines"}},
          {"properties",
           {{"object_id", string_type()},
            {"width", {{"type", "integer"}}},
            {"height", {{"type", "integer"}}},
            {"text", string_type()},
            {"word_count", {{"type", "integer"}}},
            {"lines", array_of(line_schema(), 100000)}}}};
}

json contrast_input_schema() {
  json region = box_schema();
  region["properties"]["id"] = {{"type", "string"}, {"maxLength", 500}};
  return {
      {"type", "object"},
      {"required", {"object_id"}},
      {"properties",
       {{"object_id", object_id()}, {"regions", array_of(region, 10000)}, {"lines", array_of(line_schema(), 10000)}}}};
}

json contrast_output_schema() {
  return {{"type", "object"},
          {"required", {"object_id", "regions"}},
          {"properties",
           {{"object_id", string_type()},
            {"regions", array_of({{"type", "object"},
                                  {"properties",
                                   {{"id", string_type()},
                                    {"box", box_schema()},
                                    {"text_colour", colour()},
                                    {"background_colour", colour()},
                                    {"ratio", number(1, 21)},
                                    {"min_ratio", number(1, 21)},
                                    {"separated", {{"type", "boolean"}}},
                                    {"text_pixels", {{"type", "integer"}}},
                                    {"background_pixels", {{"type", "integer"}}}}}},
                                 10000)}}}};
}

json faces_input_schema() {
  return {{"type", "object"},
          {"required", {"object_id"}},
          {"properties",
           {{"object_id", object_id()},
            {"min_size", integer(8, 10000)},
            {"min_neighbors", integer(0, 50)},
            {"scale_factor", number(1.01, 2)},
            {"mode", {{"type", "string"}, {"enum", {"blur", "fill"}}}},
            {"colour", colour()},
            {"purpose", string_type()}}}};
}

json faces_output_schema() {
  return {{"type", "object"},
          {"required", {"object_id", "width", "height", "faces"}},
          {"properties",
           {{"object_id", string_type()},
            {"width", {{"type", "integer"}}},
            {"height", {{"type", "integer"}}},
            {"faces", array_of(box_schema(), 10000)},
            {"mode", {{"type", "string"}, {"enum", {"blur", "fill"}}}},
            {"colour", colour()},
            {"purpose", string_type()}}}};
}

json redact_input_schema() {
  return {{"type", "object"},
          {"required", {"object_id"}},
          {"properties",
           {{"object_id", object_id()},
            {"boxes", array_of(box_schema(), 10000)},
            {"faces", array_of(box_schema(), 10000)},
            {"mode", {{"type", "string"}, {"enum", {"blur", "fill"}}, {"default", "blur"}}},
            {"colour", colour()},
            {"purpose", string_type()}}}};
}

json image_output_schema(const char* count_field) {
  return {{"type", "object"},
          {"required", {"object_id", "source_object_id", "width", "height", count_field}},
          {"properties",
           {{"object_id", string_type()},
            {"source_object_id", string_type()},
            {"width", {{"type", "integer"}}},
            {"height", {{"type", "integer"}}},
            {count_field, {{"type", "integer"}}}}}};
}

json overlay_input_schema() {
  return {{"type", "object"},
          {"required", {"object_id"}},
          {"properties",
           {{"object_id", object_id()},
            {"boxes", array_of(labelled_box_schema(), 10000)},
            {"faces", array_of(box_schema(), 10000)},
            {"lines", array_of(line_schema(), 10000)},
            {"purpose", string_type()}}}};
}

json detect_input_schema() {
  return {{"type", "object"},
          {"required", {"object_id", "model"}},
          {"properties",
           {{"object_id", object_id()},
            {"model", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}},
            {"score_threshold", number(0, 1)}}}};
}

json detect_output_schema() {
  json detection = {
      {"type", "object"},
      {"required", {"label", "class_id", "score", "box"}},
      {"properties",
       {{"label", string_type()},
        {"class_id", {{"type", "integer"}}},
        {"score", number(0, 1)},
        {"box", box_schema()},
        // Pose models: the key points, in the model's order.
        {"keypoints", array_of({{"type", "object"},
                                {"required", {"name", "x", "y", "score"}},
                                {"properties",
                                 {{"name", string_type()},
                                  {"x", {{"type", "number"}}},
                                  {"y", {{"type", "number"}}},
                                  {"score", number(0, 1)}}}},
                               1000)},
        // Segmentation models: the mask, stored as a one-channel PNG of the image's size.
        {"mask",
         {{"type", "object"},
          {"required", {"object_id", "width", "height"}},
          {"properties",
           {{"object_id", string_type()}, {"width", {{"type", "integer"}}}, {"height", {{"type", "integer"}}}}}}}}}};
  return {{"type", "object"},
          {"required", {"object_id", "model", "version", "kind", "width", "height", "detections"}},
          {"properties",
           {{"object_id", string_type()},
            {"model", string_type()},
            {"version", string_type()},
            {"kind", string_type()},
            {"width", {{"type", "integer"}}},
            {"height", {{"type", "integer"}}},
            {"detections", array_of(std::move(detection), 10000)}}}};
}

}  // namespace tyto::vision::detail
