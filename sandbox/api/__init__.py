"""The sandbox's OpenTrain Public API, `/api/public/v1/...`, as opentrain-api.md describes it.

envelope.py frames every answer, auth.py decides who may call, validation.py reads request bodies,
serializers.py writes the JSON, and endpoints.py holds the views that put them together.
"""
