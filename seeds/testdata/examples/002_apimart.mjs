// Seed 002 (APIMart, 002_34bdcd54d4f0aa8f.txt), <RequestExample> JavaScript: the upload
// part only, as an ES module (top-level await). The example is browser code: fileInput
// is an <input type="file">. The first three lines, added, are its minimal Node
// stand-in: fileInput.files[0] is a File of image.jpg (a photo in the working directory),
// as a browser gives it. The second request (POST /v1/images/generations, APIMart's image
// generation) is left out: picpipe stores images, it does not generate them. Otherwise
// verbatim but for: https://api.apimart.ai -> {{BASE}} (picpipe's /compat/apimart),
// <token> -> {{KEY}}, and the two spaces of MDX indentation in front of every line.
// Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import fs from "node:fs";
import { File } from "node:buffer";
const fileInput = { files: [new File([fs.readFileSync("image.jpg")], "image.jpg", { type: "image/jpeg" })] };

// 上传图片
const formData = new FormData();
formData.append('file', fileInput.files[0]);

const uploadResponse = await fetch('{{BASE}}/v1/uploads/images', {
  method: 'POST',
  headers: {
    'Authorization': 'Bearer {{KEY}}'
  },
  body: formData
});

const uploadResult = await uploadResponse.json();
const imageUrl = uploadResult.url;
console.log(`图片 URL: ${imageUrl}`);
