// Content sniffing: the media type of an upload from its first bytes, never from its name or the
// client's word. Binary formats by magic bytes; JSON, CSV and HTML by text heuristics.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tyto::objects::detail {

// How many leading bytes sniff() looks at; pass at least this many when the object is that large.
inline constexpr std::size_t kSniffBytes = 4096;

// The media type of content whose first bytes are `head` (the whole content if shorter than kSniffBytes):
//   image/jpeg, image/png, image/webp, video/mp4 (ISO BMFF "ftyp", except video/quicktime and image/heic
//   or image/avif brands), audio/wav (RIFF/WAVE), audio/mpeg (ID3 tag or an MPEG audio frame header),
//   audio/ogg, audio/flac, application/zip, application/json (text starting with '{' or '['), text/html
//   (text starting with one of the tags browsers sniff as HTML), text/csv (text whose first lines split
//   into the same number (> 1) of comma, semicolon or tab separated fields, or plain text when the client
//   declared text/csv), text/plain (other text), or application/octet-stream.
// `declared` is the client's (canonical) media type; it only decides between text/plain and text/csv.
std::string sniff(std::string_view head, std::string_view declared = {});

}  // namespace tyto::objects::detail
