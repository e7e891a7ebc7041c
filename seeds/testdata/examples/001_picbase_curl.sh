# Seed 001 (PicBase, 001_4aab51eda8dc5884.txt), "代码示例" cURL, against the native API.
# Verbatim but for: https://api.picbase.net -> {{BASE}} (picpipe's root). The key comes as
# the example expects it, in $PICBASE_KEY. photo.jpg is a photo in the working directory.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
curl -X POST {{BASE}}/v1/images \
-H "Authorization: Bearer $PICBASE_KEY" -F file=@photo.jpg -F quality=82
