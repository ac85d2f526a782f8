-- Every region's DeansList behaviour entries, with the region as `code_location`.
{{ union_regions('deanslist', 'stg_deanslist__behavior') }}
