// Seed 001 (PicBase, 001_4aab51eda8dc5884.txt), "代码示例" Node.js, against the native API
// (an ES module: top-level await). Verbatim but for: https://api.picbase.net -> {{BASE}}
// (picpipe's root); and the first two lines, added: the fragment uses fs.readFile with await
// (node:fs/promises) and KEY without defining them. photo.jpg is a photo in the working directory.
// Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import fs from "node:fs/promises";
const KEY = "{{KEY}}";
const fd = new FormData();
fd.append("file", new Blob([await fs.readFile("photo.jpg")]), "photo.jpg");
const r = await fetch("{{BASE}}/v1/images", {
method: "POST", headers: { Authorization: `Bearer ${KEY}` }, body: fd });
console.log((await r.json()).url);
