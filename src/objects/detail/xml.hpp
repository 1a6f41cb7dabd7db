// Just enough XML for S3's responses, which are flat and machine-written: the text of an element found by
// its tag name, and the bodies of repeated elements. No DTDs, no CDATA, no namespace prefixes; attributes
// on an opening tag are skipped. Anything unexpected yields "not found" rather than an exception.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::objects::detail::xml {

// The inner text of the first <tag>…</tag> (or <tag/>) in xml, entities decoded; nullopt if there is none.
std::optional<std::string> text(std::string_view xml, std::string_view tag);

// The raw inner content of each <tag>…</tag> in order, not decoded (pass each to text()).
std::vector<std::string_view> elements(std::string_view xml, std::string_view tag);

// &amp; &lt; &gt; &quot; &apos; and numeric references (&#NN; &#xNN;) decoded; unknown ones kept.
std::string unescape(std::string_view text);

// & < > " ' as entities.
std::string escape(std::string_view text);

}  // namespace tyto::objects::detail::xml
