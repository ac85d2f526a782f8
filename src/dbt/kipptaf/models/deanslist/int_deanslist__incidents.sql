-- Every region's DeansList incidents, with the region as `code_location`.
{{ union_regions('deanslist', 'stg_deanslist__incidents') }}
