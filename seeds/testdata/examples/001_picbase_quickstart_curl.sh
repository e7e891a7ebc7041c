# Seed 001 (PicBase, 001_4aab51eda8dc5884.txt), "快速开始" step 2, against the native API.
# Verbatim but for: https://api.picbase.net -> {{BASE}} (picpipe's root), pk_live_xxx -> {{KEY}}.
# photo.jpg is a photo in the working directory.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl -X POST {{BASE}}/v1/images \
-H "Authorization: Bearer {{KEY}}" \
-F file=@photo.jpg
