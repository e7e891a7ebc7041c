# Seed 002 (APIMart, 002_34bdcd54d4f0aa8f.txt), "完整示例：图生图工作流": the upload step only.
# Steps 2 and 3 (create_generation, wait_for_result: APIMart's image generation) and the lines
# that call them are left out: picpipe stores images, it does not generate them. Verbatim but for:
# your-Apimart-key -> {{KEY}}, https://api.apimart.ai -> {{BASE}} (picpipe's /compat/apimart).
# reference.jpg is a photo in the working directory.
# Run by TestSeedExamples (seeds/examples_test.go), which fills in {{BASE}} and {{KEY}}.
import requests
import time

API_KEY = "{{KEY}}"
BASE_URL = "{{BASE}}"

# 第一步：上传参考图片
def upload_image(file_path):
    with open(file_path, 'rb') as f:
        response = requests.post(
            f"{BASE_URL}/v1/uploads/images",
            headers={"Authorization": f"Bearer {API_KEY}"},
            files={"file": f}
        )
    return response.json()['url']

# 执行工作流
image_url = upload_image("reference.jpg")
print(f"图片已上传: {image_url}")
