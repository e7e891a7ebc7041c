# Seed 000 (Picklyone, 000_647eee214e89e1e5.txt), "cURL 示例", 多个文件一次上传.
# Verbatim but for: https://api.picklyone.com -> {{BASE}} (picpipe's /compat/picklyone),
# pk_live_xxxxxxxxxxxxxxxx -> {{KEY}}, /path/to/a.jpg and /path/to/b.png -> a.jpg and
# b.png (a photo and a PNG in the working directory).
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl -X POST {{BASE}}/api/v1/upload \
-H "Authorization: Bearer {{KEY}}" \
-F "files=@a.jpg" \
-F "files=@b.png"
