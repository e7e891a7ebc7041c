# Seed 000 (Picklyone, 000_647eee214e89e1e5.txt), "Python 示例".
# Verbatim but for: https://api.picklyone.com -> {{BASE}} (picpipe's /compat/picklyone),
# pk_live_xxxxxxxxxxxxxxxx -> {{KEY}}; and the indentation of the with block, which the seed's
# text lost (Python needs it). anchor.jpg is a photo in the working directory.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import requests
API_KEY = "{{KEY}}"
BASE = "{{BASE}}"
with open("anchor.jpg", "rb") as f:
    res = requests.post(
        f"{BASE}/api/v1/upload",
        headers={"Authorization": f"Bearer {API_KEY}"},
        files={"files": f},
    ).json()
image_key = res["uploaded"][0]["key"]
print("image_key:", image_key)
