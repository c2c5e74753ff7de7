#!/usr/bin/python3
# The Tryton side of the walkthrough, over the same JSON-RPC synchub uses:
#   tryton-desk.py post      posts the draft invoices of confirmed sales (the accountant's job)
#   tryton-desk.py summary   sales by state, invoices posted, one sale
# Reads TRYTON_URL, TRYTON_DB, TRYTON_USER, TRYTON_PASSWORD from the environment.
import base64
import json
import os
import sys
import urllib.request

url = '%s/%s/' % (os.environ['TRYTON_URL'], os.environ['TRYTON_DB'])
user, password = os.environ['TRYTON_USER'], os.environ['TRYTON_PASSWORD']
context = {'company': 1}
calls = [0]


def rpc(method, params, auth=None):
    calls[0] += 1
    body = json.dumps({'id': calls[0], 'method': method, 'params': params}).encode()
    headers = {'Content-Type': 'application/json'}
    if auth:
        headers['Authorization'] = auth
    answer = json.loads(urllib.request.urlopen(urllib.request.Request(url, body, headers)).read())
    if 'error' in answer:
        raise SystemExit('Tryton: %s' % (answer['error'],))
    return answer['result']


uid, session = rpc('common.db.login', [user, {'password': password}, 'en'])
auth = 'Session ' + base64.b64encode(('%s:%s:%s' % (user, uid, session)).encode()).decode()


def model(name, method, *args):
    return rpc('model.%s.%s' % (name, method), list(args) + [context], auth)


if sys.argv[1:] == ['post']:
    drafts = model('account.invoice', 'search', [['type', '=', 'out'], ['state', '=', 'draft']])
    if drafts:
        model('account.invoice', 'post', drafts)
    print('   the accountant posted %d invoices in Tryton' % len(drafts))
elif sys.argv[1:] == ['summary']:
    sales = model('sale.sale', 'search_read', [['reference', '!=', None]], 0, None, None, ['state'])
    states = {}
    for sale in sales:
        states[sale['state']] = states.get(sale['state'], 0) + 1
    posted = model('account.invoice', 'search_count', [['type', '=', 'out'], ['state', '=', 'posted']])
    print('   Tryton sales from the CRM by state: %s; posted invoices: %d' % (json.dumps(states), posted))
    one = model('sale.sale', 'search_read', [['state', '=', 'processing']], 0, 1, None,
                ['reference', 'number', 'party.code', 'untaxed_amount', 'tax_amount', 'total_amount'])
    if one:
        print('   one of them: %s' % json.dumps(one[0], ensure_ascii=False))
else:
    raise SystemExit('usage: tryton-desk.py post|summary')
