"""The parts of ``abm validate``'s report (``experiments/validate.py`` runs the models and puts them together).

``facts``: the comparisons with the facts, declared in ``experiments/data/validation_facts.toml``; ``band``: the
parameter-uncertainty band; ``pull``: the post-2020 pull against Nantong; ``life``: life expectancy against the
crude death rate; ``forecasts``: the baseline beside naive forecasts; ``plots``; ``report``: the Markdown. A new
section is a module that returns its Markdown lines (and, where it compares with facts, rows in the facts file).
"""
