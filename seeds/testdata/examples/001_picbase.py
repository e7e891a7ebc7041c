# Seed 001 (PicBase, 001_4aab51eda8dc5884.txt), "代码示例" Python, against the native API.
# Verbatim but for: https://api.picbase.net -> {{BASE}} (picpipe's root); and the line
# KEY = "{{KEY}}", added: the fragment uses KEY without defining it.
# photo.jpg is a photo in the working directory.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import requests
KEY = "{{KEY}}"
r = requests.post("{{BASE}}/v1/images",
headers={"Authorization": f"Bearer {KEY}"},
files={"file": open("photo.jpg","rb")}, data={"quality": 82})
print(r.json()["url"])
