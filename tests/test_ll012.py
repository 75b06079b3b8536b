"""LL012 as users read it: which whole-collection reads are reported, and which look-alikes
(pages, cursors, filters, reads by key, start-up reads, unknown receivers) are not."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL012 = RuleTester("LL012")
MONGOOSE = """\
const mongoose = require('mongoose');
const Order = mongoose.model('Order', schema);
app.get('/orders', async (req, res) => {
  res.json(await READ);
});
"""
ORDER_MESSAGE = (
    "`Order.find()` reads every document of `Order` into memory at once, in code that runs per "
    "request: registered by `app.get('/orders')` on line 3. The result grows with the table, not "
    "the request, until the heap runs out. Add .limit(), or iterate with .cursor() / "
    ".eachAsync() in batches."
)
SEQUELIZE_CLASS = """\
import { Model } from 'sequelize';
export class Book extends Model {
  static async BODY
}
"""
PRISMA = """\
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
export async function handler(req, res) {
  res.json(await prisma.user.findMany(ARGS));
}
"""
KNEX = """\
import createKnex from 'knex';
const db = createKnex({ client: 'pg' });
router.get('/rows', async (req, res) => {
  res.json(await READ);
});
"""
REDIS = """\
const { createClient } = require('redis');
const client = createClient();
setInterval(async () => {
  for (const key of await client.keys('job:*')) await client.del(key);
}, 60_000);
"""
NEST = """\
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
export class ExportService {
  constructor(@InjectRepository(Row) private rows: Repository<Row>) {}
  async exportCsv() { return this.rows.find(ARGS); }
}
"""


def unbounded(call: str, unit: str, target: str, reason: str, library: str) -> dict[str, str]:
    """The fields of an `unbounded` message, the advice being the library's."""
    instead = LL012.rule.msg(library).text
    return {"call": call, "unit": unit, "target": target, "reason": reason, "instead": instead}


@pytest.mark.parametrize(
    "case",
    LL012.cases(
        valid=[
            MONGOOSE.replace("READ", "Order.find().limit(20)"),
            MONGOOSE.replace("READ", "Order.find({ customer: req.user.id })"),
            MONGOOSE.replace("READ", "Order.findById(req.params.id)"),
            MONGOOSE.replace("READ", "Order.findOne({})"),
            MONGOOSE.replace("READ", "Order.countDocuments()"),
            MONGOOSE.replace("READ", "Order.find().cursor().next()"),
            MONGOOSE.replace("READ", "Order.aggregate([{ $limit: 10 }])"),
            # A model from another module, and a local `find` on an unknown receiver.
            MONGOOSE.replace("mongoose.model('Order', schema)", "require('./order')").replace(
                "READ", "Order.find()"
            ),
            MONGOOSE.replace("READ", "req.items.find((x) => x.id)"),
            # A static method called from callers this file cannot see.
            SEQUELIZE_CLASS.replace("BODY", "all() { return this.findAll(); }"),
            # An instance method: `this` is a row, not the model.
            SEQUELIZE_CLASS.replace("static async BODY", "async exportAll() { return 1; }"),
            SEQUELIZE_CLASS.replace("BODY", "exportAll() { return this.findAll({ limit: 9 }); }"),
            PRISMA.replace("ARGS", "{ take: 50 }"),
            PRISMA.replace("ARGS", "{ where: { teamId: req.query.team } }"),
            PRISMA.replace("ARGS", "options"),  # options this file cannot read
            PRISMA.replace("new PrismaClient()", "getClient()").replace("ARGS", ""),
            KNEX.replace("READ", "db('rows').limit(10)"),
            KNEX.replace("READ", "db('rows').where('id', req.params.id).first()"),
            KNEX.replace("READ", "db('rows').count()"),
            # The factory itself, not an instance.
            KNEX.replace("READ", "createKnex('rows')"),
            REDIS.replace("client.keys('job:*')", "client.scanIterator({ MATCH: 'job:*' })"),
            NEST.replace("ARGS", "{ take: 1000 }"),
            NEST.replace("ARGS", "{ where: { ready: true } }"),
            # A local function that shadows the library's name is not the library.
            "function getRepository(x) { return x; }\n"
            "app.get('/a', async (req, res) => res.json(await getRepository(rows).find()));",
            "const mongoose = require('mongoose');\n"
            "function f(mongoose) { const M = mongoose.model('M');\n"
            "  app.get('/m', async (req, res) => res.json(await M.find())); }",
            # Test code reads what its fixtures wrote.
            Valid(MONGOOSE.replace("READ", "Order.find()"), filename="orders.test.js"),
        ],
        invalid=[
            Invalid(
                MONGOOSE.replace("READ", "Order.find()"),
                [Expect(message_id="unbounded", message=ORDER_MESSAGE, line=4, column=18)],
            ),
            Invalid(
                MONGOOSE.replace("READ", "Order.find({}).sort('-at').lean().exec()"),
                [Expect(message_id="unbounded", line=4, column=18)],
            ),
            Invalid(
                SEQUELIZE_CLASS.replace("BODY", "exportAll() { return this.findAll(); }"),
                [
                    Expect(
                        message_id="unbounded",
                        data=unbounded(
                            "this.findAll()",
                            "row",
                            "`Book`",
                            "exports or reports data (`exportAll`)",
                            "sequelize",
                        ),
                        line=3,
                    )
                ],
            ),
            Invalid(
                PRISMA.replace("ARGS", "{ select: { id: true } }"),
                [
                    Expect(
                        message_id="unbounded",
                        data=unbounded(
                            "prisma.user.findMany()",
                            "row",
                            "`prisma.user`",
                            "runs per request: a request handler by its parameters",
                            "prisma",
                        ),
                        line=4,
                    )
                ],
            ),
            Invalid(
                KNEX.replace("READ", "db.from('rows').orderBy('id')"),
                [
                    Expect(
                        message_id="unbounded",
                        data=unbounded(
                            "db.from()",
                            "row",
                            "'rows'",
                            "runs per request: registered by `router.get('/rows')` on line 3",
                            "knex",
                        ),
                        line=4,
                    )
                ],
            ),
            # Resolved through renamed and destructured imports, and TypeScript types.
            Invalid(
                "const { model: makeModel } = require('mongoose');\n"
                "const Log = makeModel('Log', schema);\n"
                "async function downloadLogs() { return await Log.find().lean(); }\n",
                [Expect(message_id="unbounded", line=3, column=46)],
            ),
            Invalid(
                "import { PrismaClient as Db } from '@prisma/client';\n"
                "const db = new Db();\n"
                "export const dumpUsers = async () => db.user.findMany();\n",
                [Expect(message_id="unbounded", line=3, column=38)],
                filename="dump.ts",
            ),
            Invalid(
                "import { Model } from 'mongoose';\n"
                "export class Exporter {\n"
                "  constructor(private readonly orders: Model<Order>) {}\n"
                "  exportOrders() { return this.orders.find({}).exec(); }\n"
                "}\n",
                [Expect(message_id="unbounded", line=4, column=27)],
                filename="exporter.ts",
            ),
            Invalid(
                REDIS,
                [
                    Expect(
                        message_id="keys",
                        data={"call": "client.keys()", "reason": "runs on every timer tick"},
                        line=4,
                    )
                ],
                filename="jobs.js",
            ),
            Invalid(
                NEST.replace("ARGS", ""),
                [
                    Expect(
                        message_id="unbounded",
                        data=unbounded(
                            "this.rows.find()",
                            "row",
                            "`this.rows`",
                            "exports or reports data (`exportCsv`)",
                            "typeorm",
                        ),
                        line=5,
                    )
                ],
                filename="export.service.ts",
            ),
        ],
    ),
)
def test_ll012_cases(case: Valid | Invalid) -> None:
    LL012.verify(case)
