"""A second client, written by Microsoft for another language, against the emulator.

Run by test/integration/python-second-client.test.ts with the emulator's URL, tenant, app and
secret in the environment, and its certificate in REQUESTS_CA_BUNDLE and SSL_CERT_FILE. Prints one
JSON object with what each client saw; the Node test checks it against the tenant.

A private authority needs instance discovery off: msal's instance_discovery=False and
azure-identity's disable_instance_discovery=True.
"""
import asyncio
import json
import os
import sys
import urllib.request

import msal
from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from kiota_abstractions.base_request_configuration import RequestConfiguration

URL = os.environ["EMULATOR_URL"]
TENANT = os.environ["EMULATOR_TENANT_ID"]
CLIENT_ID = os.environ["EMULATOR_CLIENT_ID"]
SECRET = os.environ["EMULATOR_CLIENT_SECRET"]
GRAPH = "https://graph.microsoft.com/.default"
EXCHANGE = "https://outlook.office365.com/.default"


def msal_tokens():
    app = msal.ConfidentialClientApplication(CLIENT_ID, client_credential=SECRET, authority=f"{URL}/{TENANT}", instance_discovery=False)
    out = {}
    for name, scope in (("graph", GRAPH), ("exchange", EXCHANGE)):
        result = app.acquire_token_for_client(scopes=[scope])
        if "access_token" not in result:
            raise RuntimeError(f"msal {name}: {result.get('error')}: {result.get('error_description')}")
        out[name] = {"token_type": result["token_type"], "expires_in": result["expires_in"]}
    return out


def invoke_command(token, cmdlet, parameters):
    request = urllib.request.Request(
        f"{URL}/adminapi/beta/{TENANT}/InvokeCommand",
        data=json.dumps({"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-AnchorMailbox": f"APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{TENANT}"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


async def graph_reads(credential):
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH], allowed_hosts=["127.0.0.1"])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{URL}/v1.0"
    client = GraphServiceClient(request_adapter=adapter)

    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=["id", "userPrincipalName", "proxyAddresses"], top=7)
    page = await client.users.get(request_configuration=RequestConfiguration(query_parameters=query))
    users, pages = list(page.value), 1
    while page.odata_next_link:
        page = await client.users.with_url(page.odata_next_link).get()
        users.extend(page.value)
        pages += 1

    mark = await client.users.by_user_id("mark.wilson@contoso.com").get()

    batch = BatchRequestContent()
    items = {}
    for upn in ("anna.kowalski@contoso.com", "lee.chen@contoso.com"):
        item = BatchRequestItem(request_information=client.users.by_user_id(upn).to_get_request_information())
        batch.add_request(item.id, item)
        items[upn] = item.id
    answer = await client.batch.post(batch_request_content=batch)
    batched = {upn: answer.get_response_by_id(item_id).status for upn, item_id in items.items()}

    return {
        "users": len(users),
        "pages": pages,
        "withAddresses": sum(1 for u in users if u.proxy_addresses),
        "mark": {"id": mark.id, "userPrincipalName": mark.user_principal_name, "displayName": mark.display_name},
        "batch": batched,
    }


def main():
    result = {"msal": msal_tokens()}
    credential = ClientSecretCredential(TENANT, CLIENT_ID, SECRET, authority=URL, disable_instance_discovery=True)
    result["azureIdentity"] = {"graph": bool(credential.get_token(GRAPH).token), "exchange": bool(credential.get_token(EXCHANGE).token)}
    result["graph"] = asyncio.run(graph_reads(credential))

    exchange = credential.get_token(EXCHANGE).token
    before = invoke_command(exchange, "Get-Mailbox", {"Identity": "priya.patel@contoso.com"})["value"][0]["EmailAddresses"]
    invoke_command(exchange, "Set-Mailbox", {"Identity": "priya.patel@contoso.com", "EmailAddresses": before + ["smtp:priya.python@contoso.com"]})
    after = invoke_command(exchange, "Get-Mailbox", {"Identity": "priya.patel@contoso.com"})["value"][0]["EmailAddresses"]
    result["exchange"] = {"before": before, "after": after}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
