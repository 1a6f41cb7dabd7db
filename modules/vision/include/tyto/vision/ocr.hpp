// Text recognition with Tesseract (Debian's libtesseract5 and tesseract-ocr-eng, the LSTM engine).
//
// An OcrPool holds up to `size` initialised engines (initialising one reads the 4 MB language model and
// takes ~100 ms, so they are kept and reused). recognize() checks an engine out (waiting while all are
// busy), runs it, and returns it; the pool is thread-safe and may be shared by every job thread.
// Engines are created lazily, on first need.
//
// Errors: a missing language model throws tyto::Error(kUnavailable) from the first recognize() (and from
// warm_up()); an empty image throws validation_failed.
#pragma once

#include "tyto/vision/image.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace tyto::vision {

struct OcrWord {
  std::string text;  // UTF-8
  Box box;
  float confidence = 0;  // 0..100, Tesseract's
};

struct OcrLine {
  std::string text;  // the words joined by single spaces
  Box box;
  float confidence = 0;  // 0..100
  std::vector<OcrWord> words;
};

struct OcrResult {
  std::vector<OcrLine> lines;
  std::string text() const;  // the lines joined by '\n'
  std::size_t word_count() const;
};

struct OcrOptions {
  // Tesseract's page segmentation mode: 3 automatic (default), 6 one uniform block, 7 one line, 11 sparse
  // text (screenshots with scattered labels), 12 sparse text with orientation detection.
  int page_segmentation = 3;
  // Words below this confidence are left out (and lines left empty by that too).
  float min_confidence = 0;
  // Images whose shorter text is small read better enlarged: an image is scaled by this factor first
  // (boxes are reported in the original's pixels). 1: as is.
  double upscale = 1.0;
  // Source resolution told to Tesseract (screenshots are ~96 dpi).
  int dpi = 96;
};

// The folder holding <language>.traineddata: $TESSDATA_PREFIX (itself or its tessdata/ subfolder) when
// set and it holds eng.traineddata, otherwise the newest /usr/share/tesseract-ocr/<version>/tessdata.
// Empty when none is found.
std::string find_tessdata(const std::string& language = "eng");

class OcrPool {
 public:
  struct Options {
    std::size_t size = 2;  // engines at most (at least 1)
    std::string tessdata;  // empty: find_tessdata(language)
    std::string language = "eng";
  };

  explicit OcrPool(Options options);
  ~OcrPool();
  OcrPool(const OcrPool&) = delete;
  OcrPool& operator=(const OcrPool&) = delete;

  OcrResult recognize(const Image& image, const OcrOptions& options = {});
  // Initialises one engine now (a server does it at start, so the first job does not pay for it).
  void warm_up();

  std::size_t size() const noexcept;
  std::size_t engines_created() const;  // how many engines were initialised so far
  const std::string& tessdata() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::vision
