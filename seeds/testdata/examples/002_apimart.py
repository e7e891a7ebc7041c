# Seed 002 (APIMart, 002_34bdcd54d4f0aa8f.txt), <RequestExample> Python: the upload part only.
# The second request (POST /v1/images/generations, APIMart's image generation) is left out:
# picpipe stores images, it does not generate them. Verbatim but for: https://api.apimart.ai
# -> {{BASE}} (picpipe's /compat/apimart), <token> -> {{KEY}}; and the two spaces of MDX
# indentation in front of every line. image.jpg is a photo in the working directory.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import requests

# 上传图片
with open('image.jpg', 'rb') as f:
    response = requests.post(
        "{{BASE}}/v1/uploads/images",
        headers={
            "Authorization": "Bearer {{KEY}}"
        },
        files={
            "file": f
        }
    )

result = response.json()
image_url = result['url']
print(f"图片 URL: {image_url}")
