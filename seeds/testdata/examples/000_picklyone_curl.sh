# Seed 000 (Picklyone, 000_647eee214e89e1e5.txt), "cURL 示例", one file.
# Verbatim but for: https://api.picklyone.com -> {{BASE}} (picpipe's /compat/picklyone),
# pk_live_xxxxxxxxxxxxxxxx -> {{KEY}}, /path/to/anchor.jpg -> anchor.jpg (a photo in
# the working directory).
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl -X POST {{BASE}}/api/v1/upload \
-H "Authorization: Bearer {{KEY}}" \
-F "files=@anchor.jpg"
