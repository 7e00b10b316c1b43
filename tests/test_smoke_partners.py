from tests import ids


def test_registrar_then_inquiry(api):
    imei = ids.imei()
    code = api.register_device(imei)
    assert len(code) == 6 and code.isdigit()
    status, data, headers = api.get(f"/imei/{imei}")
    assert status == 200 and data["status"] == "registered", data
    assert headers["Content-Type"] == "application/json"
    status, data, _ = api.operator_sim("09121234567", ids.national_id())
    assert status == 200, data
