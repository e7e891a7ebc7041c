// Seed 003 (Agent-header, 003_119679aedcd86544.txt), "使用JavaScript上传文件", as an ES module.
// The example is browser code: fileInput is an <input type="file">. The first three lines, added,
// are its minimal Node stand-in: fileInput.files[0] is a File of file.jpg (a photo in the working
// directory), as a browser gives it. Otherwise verbatim but for: http://localhost:3000 -> {{BASE}}
// (picpipe's /compat/agent). The Agent name dify is registered by the test.
// Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import fs from "node:fs";
import { File } from "node:buffer";
const fileInput = { files: [new File([fs.readFileSync("file.jpg")], "file.jpg", { type: "image/jpeg" })] };

const formData = new FormData();
formData.append('file', fileInput.files[0]);
formData.append('created_by', 'web_user');

fetch('{{BASE}}/api/v1/upload', {
  method: 'POST',
  headers: {
    'Agent': 'dify'
  },
  body: formData
})
.then(response => response.json())
.then(data => {
  console.log('上传成功:', data.data.id);
})
.catch(error => {
  console.error('上传失败:', error);
});
