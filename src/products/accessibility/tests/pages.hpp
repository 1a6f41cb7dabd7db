// The HTML pages the accessibility tests scan, each with violations and passes planted where docs/quality.md
// says. Contrast values: #777777 on white is 4.48:1 (just below 4.5:1), #767676 is 4.54:1 (just above);
// #949494 is 3.03:1, enough for large bold text (3:1), not for normal text.
#pragma once

#include <string>

namespace tyto::test::a11y_pages {

inline std::string rules_page() {
  return R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Rules</title>
<style>body { font: 16px/1.5 sans-serif; margin: 16px; } .tiny { width: 10px; height: 10px; padding: 0; border: 0;
margin: 0; font-size: 8px; }</style></head>
<body><header><h1>Tyto rule page</h1></header><main>
<img id="missing-alt" src="/photo.png" width="40" height="40">
<img id="decorative" src="/photo.png" alt="" width="40" height="40">
<img id="described" src="/photo.png" alt="A grey square" width="40" height="40">
<span id="search-name">Search the site</span>
<input id="named-by-labelledby" type="search" aria-labelledby="search-name">
<p id="contrast-below" style="color:#777777;background:#ffffff">Grey text at 4.48 to 1, just below the line.</p>
<p id="contrast-above" style="color:#767676;background:#ffffff">Grey text at 4.54 to 1, just above the line.</p>
<p id="large-bold" style="color:#949494;background:#ffffff;font-size:24px;font-weight:bold">Large bold at 3 to 1</p>
<p id="small-light" style="color:#949494;background:#ffffff;font-size:14px">Small text at 3 to 1</p>
<form id="no-labels" action="/nowhere"><input id="unlabelled-name" type="text"><input id="unlabelled-city" type="text"></form>
<div id="dup">first</div><div id="dup">second</div>
<p><button class="tiny" id="tiny-a">a</button><button class="tiny" id="tiny-b">b</button></p>
<p><button id="big-target" style="width:48px;height:48px">OK</button></p>
<label for="secret">Password</label> <input id="secret" type="password" value="hunter2">
<div data-tyto-sensitive><p id="private-note">Account 12345678</p></div>
</main></body></html>)";
}

inline std::string login_page() {
  return R"(<!DOCTYPE html>
<html lang="en"><head><title>Log in</title></head><body><main><h1>Log in</h1>
<form method="post" action="/login"><label for="user">User</label><input id="user" name="user">
<label for="pass">Password</label><input id="pass" name="pass" type="password">
<button id="go" type="submit">Log in</button></form></main></body></html>)";
}

inline std::string account_page() {
  return R"(<!DOCTYPE html>
<html lang="en"><head><title>Account</title></head><body><main><h1 id="welcome">Welcome back</h1>
<img id="account-only" src="/photo.png" width="40" height="40"></main></body></html>)";
}

inline std::string private_loads_page() {
  return R"(<!DOCTYPE html>
<html lang="en"><head><title>Private loads</title></head><body><main><h1>Loads</h1>
<img id="private" src="http://10.255.255.1/x.png" alt="from a private address" width="20" height="20">
<img id="metadata" src="http://169.254.169.254/latest/meta-data/" alt="from the metadata address" width="20" height="20">
</main></body></html>)";
}

}  // namespace tyto::test::a11y_pages
