// Seed 000 (Picklyone, 000_647eee214e89e1e5.txt), "Node.js 示例" (an ES module: top-level await).
// Verbatim but for: https://api.picklyone.com -> {{BASE}} (picpipe's /compat/picklyone),
// pk_live_xxxxxxxxxxxxxxxx -> {{KEY}}. anchor.jpg is a photo in the working directory.
// Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import fs from "fs";
const API_KEY = "{{KEY}}";
const BASE = "{{BASE}}";
const form = new FormData();
form.append("files", new Blob([fs.readFileSync("anchor.jpg")], { type: "image/jpeg" }), "anchor.jpg");
const res = await fetch(`${BASE}/api/v1/upload`, {
method: "POST",
headers: { Authorization: `Bearer ${API_KEY}` },
body: form,
});
const { uploaded } = await res.json();
console.log("image_key:", uploaded[0].key);
