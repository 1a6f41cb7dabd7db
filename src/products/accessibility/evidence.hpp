// Evidence: the scan's screenshot with the sensitive elements masked, and crops of it around each issue's
// box, as PNGs. Masking uses the vision module's redaction (a solid fill: nothing of the text survives).
// Boxes are CSS pixels in page coordinates; the screenshot is in device pixels (scale = device pixels per
// CSS pixel). CPU work: job threads only.
#pragma once

#include "issue.hpp"
#include "tyto/vision/image.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::accessibility {

class Evidence {
 public:
  // Decodes the screenshot (tyto::Error unsupported_media_type when it is no image) and masks `sensitive`.
  Evidence(std::string_view screenshot, double scale, const std::vector<IssueBox>& sensitive);
  // The same from a screenshot decoded already.
  Evidence(vision::Image screenshot, double scale, const std::vector<IssueBox>& sensitive);

  int width() const noexcept { return image_.width; }
  int height() const noexcept { return image_.height; }
  int masked() const noexcept { return masked_; }
  // The whole screenshot, masked.
  std::string png() const;
  // A crop around `box` with `margin` CSS pixels on each side, masked; nullopt when the box is empty or
  // outside the screenshot.
  std::optional<std::string> crop(const IssueBox& box, double margin = 16) const;

 private:
  vision::Image image_;
  double scale_ = 1;
  int masked_ = 0;
};

}  // namespace tyto::products::accessibility
